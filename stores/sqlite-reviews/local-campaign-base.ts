/**
 * Where a local campaign is drawn from (`CampaignBasePort`): the newest sealed pack of an evidence
 * folder and the open findings of `<state>/findings.db` (none before the first scan). `review
 * start` and the owner's web form (`accessproof serve`) both use it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { InputError } from '../../core/errors';
import type { Finding } from '../../core/findings/model';
import type { CampaignBasePort } from '../../core/reviews/create';
import { type OwnersCatalog, parseOwnersCatalog } from '../../core/reviews/owners';
import { findingsDbFile, SqliteFindingsRepository } from '../sqlite-findings/sqlite-findings-repository';
import { readLatestPackInventory } from './pack-inventory-reader';

/**
 * @example
 * const base = localCampaignBase({ out: './accessproof-out', state: './accessproof-out/state', evidence: './accessproof-out/evidence' });
 */
export function localCampaignBase(paths: { out: string; state: string; evidence: string }): CampaignBasePort {
  return {
    latestPack: async () => {
      if (!existsSync(paths.evidence)) {
        throw new InputError('no sealed evidence pack here: run `accessproof scan --out DIR` first', {
          file: paths.out,
          field: '--out',
        });
      }
      return readLatestPackInventory(paths.evidence);
    },
    openFindings: async (): Promise<Finding[]> => {
      const file = findingsDbFile(paths.state);
      if (!existsSync(file)) return [];
      const repo = SqliteFindingsRepository.open({ file });
      try {
        return (await repo.loadAll()).filter((f) => f.status === 'open' || f.status === 'reopened');
      } finally {
        await repo.close();
      }
    },
  };
}

/** `owners.yaml` read and checked (errors name file:line and field). */
export async function readOwnersCatalog(file: string): Promise<OwnersCatalog> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new InputError('cannot read the owners catalog', { file, field: '--owners' });
  }
  return parseOwnersCatalog(text, file);
}
