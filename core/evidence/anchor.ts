/**
 * Chain-head anchors: what each seal publishes outside the account (an SNS topic whose subscribers
 * are the auditors' mailbox or another account's queue), and the `SEQUENCE:SHA256` form an auditor
 * gives `verify --expect-head`. A chain rewritten inside the account cannot change an anchor that
 * was already delivered elsewhere.
 */
import * as z from 'zod';
import { InputError } from '../errors';
import { runIdSchema } from './manifest';

export const ANCHOR_FORMAT = 'accessproof.anchor/1';

export const anchorSchema = z
  .object({
    format: z.literal(ANCHOR_FORMAT),
    runId: runIdSchema,
    sequence: z.number().int().positive(),
    manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
    keyFingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    /** Where the pack is (`s3://…/packs/…/<runId>/`), for people; verify never trusts it. */
    location: z.string(),
  })
  .strict();

export type Anchor = z.infer<typeof anchorSchema>;

/** Publishes a sealed pack's anchor (the SNS topic in AWS). */
export interface HeadAnchor {
  publish(anchor: Anchor): Promise<void>;
}

/** The anchor of a sealed run. */
export function anchorOf(sealed: Omit<Anchor, 'format'>): Anchor {
  return anchorSchema.parse({
    format: ANCHOR_FORMAT,
    runId: sealed.runId,
    sequence: sealed.sequence,
    manifestSha256: sealed.manifestSha256,
    keyFingerprint: sealed.keyFingerprint,
    location: sealed.location,
  });
}

/**
 * `7:9f86d0…` (sequence, colon, the manifest's lowercase hex SHA-256) → the expected head.
 *
 * @example
 * parseExpectedHead('3:' + 'ab'.repeat(32)) // { sequence: 3, manifestSha256: 'abab…' }
 */
export function parseExpectedHead(
  text: string,
  field = '--expect-head',
): { sequence: number; manifestSha256: string } {
  const m = /^([1-9]\d{0,15}):([0-9a-fA-F]{64})$/.exec(text.trim());
  if (!m?.[1] || !m[2])
    throw new InputError(
      `"${text}" is not SEQUENCE:SHA256 (a pack number, a colon, the manifest's 64-hex SHA-256)`,
      {
        field,
      },
    );
  return { sequence: Number(m[1]), manifestSha256: m[2].toLowerCase() };
}
