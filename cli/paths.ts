/**
 * Where a command reads and writes on one machine (README.md "Configuration"):
 * `--out DIR` → state in DIR/state and evidence in DIR/evidence (overriding `evidence.dir`);
 * without it, evidence goes to `evidence.dir` and state beside it.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_OUT = 'accessproof-out';

/** The bundled demo tenant's config, wherever the package is installed. */
export const DEMO_CONFIG = fileURLToPath(new URL('../examples/demo/accessproof.yaml', import.meta.url));
/** The demo tenant is drawn as of this instant, so its findings do not drift with the calendar. */
export const DEMO_AS_OF = '2026-10-01T00:00:00Z';

export interface LocalPaths {
  out: string;
  state: string;
  evidence: string;
}

export function localPaths(out: string | undefined, evidenceDir: string | undefined): LocalPaths {
  if (out) {
    const root = resolve(out);
    return { out: root, state: join(root, 'state'), evidence: join(root, 'evidence') };
  }
  if (evidenceDir) {
    const evidence = resolve(evidenceDir);
    return { out: dirname(evidence), state: join(dirname(evidence), 'state'), evidence };
  }
  const root = resolve(DEFAULT_OUT);
  return { out: root, state: join(root, 'state'), evidence: join(root, 'evidence') };
}
