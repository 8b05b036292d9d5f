/**
 * ECDSA P-256 over a precomputed digest, as KMS `Sign` with `MessageType: DIGEST` does. Node's
 * `sign()` always hashes its input, so this test helper does the arithmetic itself, using ECDH
 * for the point multiplication k·G.
 */
import { createECDH, type KeyObject, randomBytes } from 'node:crypto';

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function toBig(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

function derInteger(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** DER `SEQUENCE {r, s}` signature of a 32-byte digest with a P-256 private key. */
export function signDigestP256(digest: Uint8Array, privateKey: KeyObject): Buffer {
  const jwk = privateKey.export({ format: 'jwk' });
  const d = toBig(Buffer.from(jwk.d!, 'base64url'));
  const z = toBig(digest);
  for (;;) {
    const k = toBig(randomBytes(32)) % N;
    if (k === 0n) continue;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(k.toString(16).padStart(64, '0'), 'hex'));
    const point = ecdh.getPublicKey(); // 0x04 || X || Y
    const r = toBig(point.subarray(1, 33)) % N;
    if (r === 0n) continue;
    const s = (modPow(k, N - 2n, N) * ((z + r * d) % N)) % N;
    if (s === 0n) continue;
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  }
}
