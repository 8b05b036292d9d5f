/**
 * The open-findings trend of a chain, read back from the manifests of its earlier packs (each
 * manifest records its run's counts, `manifest.findings`), newest pack first then reversed.
 */
import type { Logger } from '../connector';
import { parseManifest } from '../evidence/manifest';
import type { PackReader } from '../evidence/ports';
import type { TrendPoint } from '../evidence/report-html';

/**
 * Up to `limit` packs before (and including) `head`, oldest first. A pack that cannot be read ends
 * the walk: the trend is for reading, and `verify` is what reports a broken chain.
 *
 * @example
 * const trend = await chainTrend(packs, scan.head, 12, logger);
 */
export async function chainTrend(
  packs: PackReader | undefined,
  head: { runId: string } | null,
  limit: number,
  logger: Logger,
): Promise<TrendPoint[]> {
  if (!packs || !head) return [];
  const out: TrendPoint[] = [];
  try {
    const refs = new Map((await packs.listPacks()).map((p) => [p.runId, p]));
    let runId: string | undefined = head.runId;
    while (runId && out.length < limit) {
      const ref = refs.get(runId);
      const bytes = ref ? await packs.readFile(ref, 'manifest.json') : undefined;
      const parsed = bytes ? parseManifest(bytes) : undefined;
      if (!parsed?.ok) break;
      const m = parsed.value;
      out.push({
        runId: m.runId,
        sequence: m.sequence,
        asOf: m.asOf,
        ...(m.findings ? { open: m.findings.open } : {}),
      });
      runId = m.previous?.runId;
    }
  } catch (err) {
    logger.warn('report trend: earlier packs could not be read', { error: (err as Error).message });
  }
  return out.reverse();
}
