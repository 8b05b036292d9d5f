export {
  DEFAULT_MAX_ITEMS,
  describeItem,
  type ReviewInventory,
  type StartCampaignOptions,
  startCampaign,
} from './campaign';
export {
  type CloseInput,
  closeCampaign,
  type DecisionInput,
  type DelegationInput,
  decide,
  delegate,
  noteRequiredFor,
  remainingItemIds,
} from './decide';
export { checkRevocations, type ReviewArtefact, reviewArtefactsFor } from './evidence';
export * from './model';
export { type GzipLineDecoder, loadPackInventory, type PackInventory } from './pack-inventory';
export {
  type CampaignRecord,
  type CampaignSummary,
  campaignRecords,
  type ReviewItemRecord,
  type ReviewRecord,
  summarizeCampaign,
} from './records';
export {
  DEFAULT_ESCALATION_DELAY_DAYS,
  dueNotices,
  escalationTarget,
  type NoticeDelivery,
  type NoticeEvent,
  type NoticeMessage,
  noticeMessage,
  REMINDER_DAYS_BEFORE_DUE,
  recordNotices,
  type SendNoticesResult,
  sendDueNotices,
} from './reminders';
export type { ReviewStore } from './repository';
export {
  type RemainingPath,
  type RevocationCheck,
  type RevocationClock,
  type RevocationInventory,
  type RevocationReport,
  type RevocationStatus,
  revocationSeverity,
  verifyRevocations,
} from './revocation';
export { campaignHeaderSchema, reviewItemSchema } from './schema';
