/**
 * The secrets this process holds, scrubbed from every line it prints and from everything a scan
 * collects: the credential environment variables the connectors read (their default names, and
 * those a config names with `clientSecretEnv`/`privateKeyEnv`), plus what a connector reads itself
 * (a private key file) through `ctx.secret`.
 */
import { DEFAULT_CLIENT_SECRET_ENV, DEFAULT_PRIVATE_KEY_ENV } from '../connectors/salesforce/credentials';
import type { SourceConfig } from '../core/config';
import { createScrubber, type Scrubber } from '../core/secrets';

/** Default credential variables of the live connectors (Entra: @azure/identity's names). */
const SECRET_ENV = ['AZURE_CLIENT_SECRET', DEFAULT_CLIENT_SECRET_ENV, DEFAULT_PRIVATE_KEY_ENV] as const;

function envValues(env: NodeJS.ProcessEnv, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const v = env[name];
    if (v) out.push(v, v.replace(/\\n/g, '\n'));
  }
  return out;
}

/** The one scrubber of this process. */
export const cliScrubber: Scrubber = createScrubber(envValues(process.env, SECRET_ENV));

/** Add the secret variables a config names (`clientSecretEnv`, `privateKeyEnv`). */
export function addConfiguredSecrets(
  sources: readonly SourceConfig[],
  env: NodeJS.ProcessEnv = process.env,
  scrubber: Scrubber = cliScrubber,
): void {
  const names: string[] = [];
  for (const s of sources) {
    const named = s as { clientSecretEnv?: unknown; privateKeyEnv?: unknown };
    if (typeof named.clientSecretEnv === 'string') names.push(named.clientSecretEnv);
    if (typeof named.privateKeyEnv === 'string') names.push(named.privateKeyEnv);
  }
  for (const v of envValues(env, names)) scrubber.add(v);
}
