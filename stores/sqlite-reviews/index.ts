export { gunzipLines } from './gunzip-lines';
export { readLatestPackInventory } from './pack-inventory-reader';
export { loadCampaigns, ReviewEvidence, reviewArtefacts } from './review-evidence';
export type { SqliteReviewStoreOptions } from './sqlite-review-store';
export { reviewsDbFile, SqliteReviewStore } from './sqlite-review-store';
