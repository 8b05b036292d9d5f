/**
 * A JSON → XML writer shaped like the AWS Query protocol (IAM, STS): lists as `<member>`
 * elements, structures as nested elements, timestamps in ISO 8601, booleans as `true`/`false`.
 */

/** Fields IAM sends as URL-encoded JSON text (RFC 3986), never as nested XML. */
const POLICY_DOCUMENT_FIELDS = new Set(['AssumeRolePolicyDocument', 'PolicyDocument', 'Document']);
const TIMESTAMP_FIELDS = new Set([
  'CreateDate',
  'UpdateDate',
  'LastUsedDate',
  'GeneratedTime',
  'Expiration',
  'PasswordLastUsed',
]);

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** RFC 3986 encoding as IAM applies it to policy documents: `encodeURIComponent` plus `!'()*`. */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** `2022-08-07 12:56:48+00:00` (the CLI's export form) → `2022-08-07T12:56:48Z`, as the wire carries it. */
export function wireTimestamp(value: string): string {
  const d = new Date(value.replace(' ', 'T'));
  if (Number.isNaN(d.getTime())) throw new Error(`imitation: not a timestamp: ${value}`);
  return d.toISOString().replace('.000Z', 'Z');
}

export function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    return `<${name}>${value.map((v) => toXml('member', v)).join('')}</${name}>`;
  }
  if (POLICY_DOCUMENT_FIELDS.has(name)) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return `<${name}>${escapeXml(encodeRfc3986(text))}</${name}>`;
  }
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => toXml(k, v))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  if (typeof value === 'string' && TIMESTAMP_FIELDS.has(name))
    return `<${name}>${wireTimestamp(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** `<ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata>…` */
export function queryResponse(
  action: string,
  namespace: string,
  result: Record<string, unknown>,
  requestId: string,
): string {
  const inner = Object.entries(result)
    .map(([k, v]) => toXml(k, v))
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}">` +
    `<${action}Result>${inner}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function queryError(
  namespace: string,
  error: { type: 'Sender' | 'Receiver'; code: string; message: string },
  requestId: string,
): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error>` +
    `<Type>${error.type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>` +
    `</Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
