/**
 * `chain-event.json`: an operator's deliberate break in the evidence chain, sealed in the pack that
 * makes it (issue 11). Without one, a second chain beside an existing one is a fork and a new
 * signing key inside a chain is a key change: both errors for `verify`. With one, `verify`
 * reports a documented chain start or key rotation instead, naming who-knows-why (`reason`).
 *
 * - `new-chain`: this pack starts a new chain (sequence 1) while `previousChain` is the head of
 *   the chain already in the evidence store (typically the local state was lost).
 * - `key-rotation`: this pack links to its previous pack as usual but is signed by a new key;
 *   `fromKeyFingerprint` is the key the previous pack was signed with.
 */
import * as z from 'zod';
import { runIdSchema } from './manifest';

export const CHAIN_EVENT_FILE = 'chain-event.json';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');

export const chainEventSchema = z.discriminatedUnion('event', [
  z
    .object({
      event: z.literal('new-chain'),
      reason: z.string().min(1),
      at: z.iso.datetime({ offset: true }),
      previousChain: z
        .object({
          runId: runIdSchema,
          sequence: z.number().int().positive(),
          manifestSha256: hex64,
          keyFingerprint: hex64.optional(),
        })
        .strict(),
      keyFingerprint: hex64,
    })
    .strict(),
  z
    .object({
      event: z.literal('key-rotation'),
      reason: z.string().min(1),
      at: z.iso.datetime({ offset: true }),
      fromKeyFingerprint: hex64,
      toKeyFingerprint: hex64,
    })
    .strict(),
]);

export type ChainEvent = z.infer<typeof chainEventSchema>;

/** Parse the bytes of a `chain-event.json`; `undefined` when they are not one. */
export function parseChainEvent(bytes: Uint8Array): ChainEvent | undefined {
  try {
    const parsed = chainEventSchema.safeParse(
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
