/**
 * The text `accessproof verify` prints: what was checked, the signing key fingerprint(s) for the
 * auditor to compare with the one on record, and every problem with its pack and path.
 */

import { minMax } from '../arrays';
import type { VerifyReport } from './verify';

/**
 * @example
 * process.stdout.write(formatVerifyReport(report));
 */
export function formatVerifyReport(report: VerifyReport): string {
  const out: string[] = [`Evidence: ${report.location}`];
  const sealed = report.packs.filter((p) => p.sequence !== undefined);
  const range = minMax(sealed.map((p) => p.sequence!));
  out.push(
    `Packs: ${report.packs.length}` +
      (range ? ` (sequence ${range.min}..${range.max})` : '') +
      `, files checked: ${report.filesChecked}, bytes hashed: ${formatBytes(report.bytesChecked)}`,
  );
  if (report.head)
    out.push(
      `Chain head: ${report.head.runId} (sequence ${report.head.sequence}, manifest sha256 ${report.head.manifestSha256})`,
    );
  if (report.keys.length === 0) out.push('Signing key: none readable');
  for (const key of report.keys) {
    const pin = report.pinnedFingerprint
      ? key.fingerprint === report.pinnedFingerprint
        ? ' [matches --key]'
        : ' [DOES NOT match --key]'
      : '';
    const confirmed =
      key.confirmedFingerprint === undefined
        ? ''
        : key.confirmedFingerprint === key.fingerprint
          ? ' [matches the key owner (KMS GetPublicKey)]'
          : ' [DOES NOT match the key owner]';
    const runs = key.runIds.length === 1 ? key.runIds[0] : `${key.runIds[0]} .. ${key.runIds.at(-1)}`;
    out.push(
      `Signing key: ${key.algorithm} SHA-256 fingerprint ${key.fingerprint}${pin}${confirmed}` +
        `${key.keyId ? ` (${key.keyId})` : ''}; signed ${key.runIds.length} pack(s): ${runs}`,
    );
  }
  if (!report.pinnedFingerprint && report.keys.some((k) => k.confirmedFingerprint === undefined))
    out.push('Compare the fingerprint with the one on record, or pin it with --key.');
  for (const p of report.packs)
    out.push(
      `  ${p.ok ? 'ok  ' : 'FAIL'} ${p.sequence !== undefined ? `#${p.sequence}` : '#?'} ${p.runId}  ` +
        `${p.files} file(s), ${formatBytes(p.bytes)}${p.signatureValid ? ', signature valid' : ''}`,
    );
  const errors = report.problems.filter((p) => p.severity === 'error');
  const warnings = report.problems.filter((p) => p.severity === 'warning');
  for (const p of errors) out.push(`ERROR [${p.code}] ${p.message}`);
  for (const p of warnings) out.push(`WARNING [${p.code}] ${p.message}`);
  out.push(
    report.ok
      ? `VERIFIED: every hash, signature and chain link holds${warnings.length ? ` (${warnings.length} warning(s))` : ''}.`
      : `VERIFICATION FAILED: ${errors.length} problem(s).`,
  );
  return `${out.join('\n')}\n`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
