/**
 * The Entra ID connector: a state machine over Microsoft Graph (or saved Graph responses), one
 * request, page or `$batch` per step. Phases run in `PHASES` order (phases.ts); users are emitted
 * page by page, service principals once their credentials, owners and activity are all known,
 * group memberships at the end when nested paths can be worked out.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import type { AuthenticationProvider } from '@microsoft/microsoft-graph-client';
import type { EntraSource } from '../../core/config';
import type { Connector, Opened, Stepped } from '../../core/connector';
import { InputError, SourceError } from '../../core/errors';
import type { EntraCredentialProvider } from './credentials';
import { FilesTransport } from './files-transport';
import { HANDLERS } from './phases';
import { type EntraState, initialState, STATE_VERSION } from './state';
import type { Ctx, Io } from './steps';
import { GraphCallError, type GraphTransport } from './transport';

export const ENTRA_CONNECTOR_VERSION = '1.0.0';

export interface EntraConnectorOptions {
  /**
   * The app credential for live mode: a ready `TokenCredential` (e.g. built by a Lambda from
   * Secrets Manager) or a provider per source. Default: `localEntraCredential()` (environment).
   */
  credential?: TokenCredential | EntraCredentialProvider;
  /** Replaces the credential entirely (tests point the client at a local server with a fake token). */
  authProvider?: AuthenticationProvider;
  /** How throttled `$batch` sub-requests wait; default `setTimeout`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

const REQUIRED_FILES = ['users.json', 'servicePrincipals.json'] as const;

/**
 * Every access token the provider hands out is registered as a secret of the run: Graph (or
 * anything in between) quoting it back without its `Bearer` prefix is then scrubbed by value.
 */
function tokensAreSecrets(provider: AuthenticationProvider, ctx: Ctx): AuthenticationProvider {
  return {
    async getAccessToken(options) {
      const token = await provider.getAccessToken(options);
      ctx.secret?.(token);
      return token;
    },
  };
}

/**
 * The Entra ID connector, with the credential (or test auth provider) it should use.
 *
 * @example
 * const lambdaConnector = createEntraConnector({ credential: secretsManagerEntraCredential(sm, secretArn) });
 * const outcome = await collectSource({ connector: lambdaConnector, source, key, staging, now, logger });
 */
export function createEntraConnector(
  options: EntraConnectorOptions = {},
): Connector<EntraSource, EntraState> {
  const sleep = options.sleep ?? defaultSleep;
  // One transport per source object: its Graph client keeps the access token between steps.
  const transports = new WeakMap<EntraSource, Promise<GraphTransport>>();

  async function makeTransport(ctx: Ctx): Promise<GraphTransport> {
    const source = ctx.source;
    if (source.files) {
      const dir = source.files.dir;
      let isDir = false;
      try {
        isDir = statSync(dir).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir)
        throw new InputError('the Entra export folder does not exist', {
          file: dir,
          field: `sources.${source.id}.files.dir`,
        });
      return new FilesTransport(dir, source.encoding);
    }
    // Live mode only: the Graph client and @azure/identity are large, and files mode needs neither.
    const { ApiTransport } = await import('./api-transport');
    let authProvider = options.authProvider;
    if (!authProvider) {
      const { localEntraCredential } = await import('./credentials');
      const { TokenCredentialAuthenticationProvider } = await import(
        '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js'
      );
      const given = options.credential ?? localEntraCredential();
      const credential =
        typeof given === 'function' ? await given(source, (value) => ctx.secret?.(value)) : given;
      const scope = `${new URL(source.graphBaseUrl).origin}/.default`;
      authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [scope] });
    }
    return new ApiTransport({
      baseUrl: source.graphBaseUrl,
      authProvider: tokensAreSecrets(authProvider, ctx),
      now: ctx.now,
    });
  }

  async function ioFor(ctx: Ctx): Promise<Io> {
    let transport = transports.get(ctx.source);
    if (!transport) {
      transport = makeTransport(ctx);
      transports.set(ctx.source, transport);
      transport.catch(() => transports.delete(ctx.source));
    }
    return {
      ctx,
      transport: await transport,
      rc: { tenant: ctx.source.tenantId, sourceId: ctx.source.id, kinds: ctx.source.kinds },
    };
  }

  return {
    name: 'entra-id',
    version: ENTRA_CONNECTOR_VERSION,
    system: 'entra',

    async begin(ctx: Ctx): Promise<Opened<EntraState>> {
      const io = await ioFor(ctx);
      if (!(io.transport instanceof FilesTransport)) {
        return { state: initialState('selected'), tenant: ctx.source.tenantId, mode: 'api' };
      }
      const dir = ctx.source.files?.dir ?? '';
      for (const file of REQUIRED_FILES) {
        if (!io.transport.has(file))
          throw new InputError('is missing from the Entra export folder', { file: join(dir, file) });
      }
      const users = io.transport.allItems('users.json') ?? [];
      const exported = users.some((u) => typeof u === 'object' && u !== null && 'signInActivity' in u);
      if (!exported) {
        ctx.warn(
          "users.json has no signInActivity: users' last activity is unknown and never counts as dormant",
        );
      }
      return {
        state: initialState(exported ? 'selected' : 'unknown'),
        tenant: ctx.source.tenantId,
        mode: 'files',
      };
    },

    async step(ctx: Ctx, state: EntraState): Promise<Stepped<EntraState>> {
      if (state.v !== STATE_VERSION)
        throw new SourceError(`connector state version ${state.v} is not supported`);
      ctx.signal?.throwIfAborted();
      const io = await ioFor(ctx);
      if (state.waitMs > 0) {
        const ms = state.waitMs;
        state.waitMs = 0;
        await sleep(ms, ctx.signal);
      }
      try {
        const page = await HANDLERS[state.phase](io, state);
        return { page, next: state.phase === 'done' ? null : state };
      } catch (err) {
        if (err instanceof GraphCallError) {
          const status = err.status > 0 ? `${err.status} ` : '';
          throw new SourceError(`${status}${err.code}: ${err.message}`, {
            operation: err.operation,
            page: state.page + 1,
          });
        }
        throw err;
      }
    },
  };
}

/** The connector the registry uses: live credentials from the environment, or files mode. */
export const entraConnector = createEntraConnector();
