/**
 * Secret scrubbing for everything derived from an upstream answer, error or URL. An upstream
 * service may echo what it was sent (a token endpoint quoting the request body in its
 * `error_description`, an API quoting the `Authorization` header): such text reaches error
 * messages, warnings, logs, and through them stdout and the sealed pack. Two nets catch it:
 *
 * - the exact configured secret values (and the forms a request carries them in: URL-encoded,
 *   form-encoded, JSON-escaped, base64), wherever they appear, records included;
 * - patterns of credentials whatever their value: `Bearer …`/`Basic …`, `client_secret=…`,
 *   `"access_token": "…"`, JWTs, PEM private keys, Salesforce session ids.
 */

export const REDACTED = '[redacted]';

/** Values shorter than this are not scrubbed by value (they would mask ordinary words). */
export const MIN_SECRET_LENGTH = 8;

const PATTERNS: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, REDACTED],
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9\-._~+/]+=*/gi, `$1$2${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]{16,}/g, REDACTED],
  [
    /\b(client_secret|clientsecret|client_assertion|access_token|accesstoken|refresh_token|id_token|session_?id|password|private_?key|code_verifier|x-api-key|api_key|apikey)(\\?["']?\s*[:=]\s*\\?["']?)([^"'&\s,;}\\]+)/gi,
    `$1$2${REDACTED}`,
  ],
];

/** The forms a secret value takes on its way into a request, longest first. */
function formsOf(value: string): string[] {
  const forms = new Set<string>([value]);
  forms.add(encodeURIComponent(value));
  forms.add(encodeURIComponent(value).replace(/%20/g, '+'));
  forms.add(JSON.stringify(value).slice(1, -1));
  const b64 = Buffer.from(value, 'utf8').toString('base64');
  forms.add(b64);
  forms.add(b64.replace(/=+$/, ''));
  forms.add(Buffer.from(value, 'utf8').toString('base64url'));
  // Multi-line secrets (PEM keys) are scrubbed line by line too: a message may quote one line.
  if (value.includes('\n')) {
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 16) forms.add(line.trim());
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

export interface Scrubber {
  /** Text from an upstream answer, error or URL: secret values and credential patterns replaced. */
  text(text: string): string;
  /** Data (a record line): only the exact secret values replaced, so no pattern alters a field. */
  values(text: string): string;
  /** Add a secret value the run holds (e.g. read from a secret store when a session opens). */
  add(value: string | undefined): void;
  /**
   * Optional: whether `values` may change a text (any secret value known). False lets a writer of
   * millions of records skip building each one's text to scrub it; absent counts as true.
   */
  hasValues?(): boolean;
}

/**
 * @example
 * const scrub = createScrubber([process.env.SALESFORCE_CLIENT_SECRET]);
 * scrub.text('invalid_client: client_secret=s3cr3t-value'); // 'invalid_client: client_secret=[redacted]'
 */
export function createScrubber(values: readonly (string | undefined)[] = []): Scrubber {
  let forms: string[] = [];
  const add = (value: string | undefined) => {
    if (typeof value !== 'string' || value.trim().length < MIN_SECRET_LENGTH) return;
    const next = new Set(forms);
    for (const f of formsOf(value)) next.add(f);
    forms = [...next].sort((a, b) => b.length - a.length);
  };
  for (const v of values) add(v);
  const byValue = (text: string) => {
    let out = text;
    for (const f of forms) if (out.includes(f)) out = out.split(f).join(REDACTED);
    return out;
  };
  return {
    add,
    values: byValue,
    hasValues: () => forms.length > 0,
    text(text) {
      let out = byValue(text);
      for (const [re, to] of PATTERNS) out = out.replace(re, to);
      return out;
    },
  };
}

/** Every string inside `value` (log fields) scrubbed as text. */
export function scrubDeep(value: unknown, scrub: Scrubber, depth = 0): unknown {
  if (typeof value === 'string') return scrub.text(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return scrub.text(value.message);
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, scrub, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, scrub, depth + 1)]));
}
