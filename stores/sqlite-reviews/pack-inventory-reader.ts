/**
 * The inventory of the newest sealed pack in a local evidence folder: what `review start` reviews
 * and what `review list` checks revocations against.
 */
import type { PackInventory } from '../../core/reviews/pack-inventory';
import { loadPackInventory } from '../../core/reviews/pack-inventory';
import { LocalPackReader } from '../local-vault/local-pack-reader';
import { gunzipLines } from './gunzip-lines';

/**
 * @example
 * const { inventory, runId, manifestSha256 } = await readLatestPackInventory('./accessproof-out/evidence');
 */
export async function readLatestPackInventory(
  evidenceDir: string,
  options: { runId?: string } = {},
): Promise<PackInventory> {
  return loadPackInventory(new LocalPackReader(evidenceDir), gunzipLines, options);
}
