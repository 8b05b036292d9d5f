/**
 * The pack's `reviews/` folder: one `reviews/<campaignId>.jsonl` per campaign, open and closed, in
 * every pack, so each pack shows the state of every review as of its run.
 */
import type { ReportCampaign } from '../evidence/report-html';
import type { Campaign } from './model';
import { campaignRecords } from './records';
import {
  type RevocationClock,
  type RevocationInventory,
  type RevocationReport,
  verifyRevocations,
} from './revocation';

/** One file for the pack; `content` is what `sealStep`'s `extraArtefacts` takes. */
export interface ReviewArtefact {
  /** `reviews/<campaignId>.jsonl` */
  path: string;
  lines: string[];
  records: number;
  /** The lines, each ended by `\n`, as UTF-8. */
  content: Uint8Array;
}

/**
 * Check every campaign's revocations against one run's inventory. Keep the (small) result and
 * let the inventory go: the seal step runs after the scan has finished with it.
 *
 * @example
 * const reports = checkRevocations(campaigns, inventory, plan.runId);
 */
export function checkRevocations(
  campaigns: readonly Campaign[],
  inventory: RevocationInventory,
  runId?: string,
  clock?: RevocationClock,
): Map<string, RevocationReport> {
  const out = new Map<string, RevocationReport>();
  for (const c of campaigns) out.set(c.id, verifyRevocations(c, inventory, runId, clock));
  return out;
}

/**
 * The artefacts for a pack, sorted by path.
 *
 * @example
 * const extra = reviewArtefactsFor(campaigns, { asOf, revocations: checkRevocations(campaigns, inventory, runId) });
 */
export function reviewArtefactsFor(
  campaigns: readonly Campaign[],
  options: { asOf: Date; revocations?: ReadonlyMap<string, RevocationReport> },
): ReviewArtefact[] {
  const enc = new TextEncoder();
  return [...campaigns]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((c) => {
      const revocations = options.revocations?.get(c.id);
      const rows = campaignRecords(c, { asOf: options.asOf, ...(revocations ? { revocations } : {}) });
      const lines = rows.map((r) => JSON.stringify(r));
      return {
        path: `reviews/${c.id}.jsonl`,
        lines,
        records: lines.length,
        content: enc.encode(lines.length ? `${lines.join('\n')}\n` : ''),
      };
    });
}

/**
 * The campaign rows of the review artefacts (each file's first line), for the report's dashboard
 * (`sealStep`'s `campaigns`). The CLI and the seal Lambda both pass exactly this.
 *
 * @example
 * await sealStep({ …, campaigns: reportCampaigns(artefacts), extraArtefacts: [...artefacts] });
 */
export function reportCampaigns(artefacts: readonly ReviewArtefact[]): ReportCampaign[] {
  return artefacts
    .map((a) => (a.lines[0] ? (JSON.parse(a.lines[0]) as ReportCampaign & { record?: string }) : undefined))
    .filter((c): c is ReportCampaign => c?.record === 'campaign');
}
