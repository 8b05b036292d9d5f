/**
 * Just enough of `multipart/form-data` (RFC 7578) for the reviewer app's one upload form: named
 * parts, an optional file name, the bytes. Bounded: at most `maxParts` parts; a malformed body is
 * undefined, never a partial result.
 */

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** The boundary of a `multipart/form-data; boundary=…` content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const m = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(
    contentType ?? '',
  );
  return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * @example
 * const parts = parseMultipart(Buffer.from(req.body, 'base64'), multipartBoundary(req.headers['content-type'])!);
 * parts?.find((p) => p.name === 'file')?.data;
 */
export function parseMultipart(body: Buffer, boundary: string, maxParts = 8): FormPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos !== 0) return undefined;
  for (;;) {
    pos += delimiter.length;
    // `--` after a delimiter ends the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) return undefined;
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0 || headerEnd - pos > 4096) return undefined;
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) return undefined;
    const part: Partial<FormPart> = { data: body.subarray(headerEnd + 4, next) };
    for (const h of headers) {
      const colon = h.indexOf(':');
      if (colon < 0) return undefined;
      const key = h.slice(0, colon).trim().toLowerCase();
      const value = h.slice(colon + 1).trim();
      if (key === 'content-disposition') {
        const name = /(?:^|;)\s*name="([^"]*)"/i.exec(value);
        const file = /(?:^|;)\s*filename="([^"]*)"/i.exec(value);
        if (!/^form-data\b/i.test(value) || !name) return undefined;
        part.name = name[1]!;
        if (file) part.filename = file[1]!;
      } else if (key === 'content-type') part.contentType = value;
    }
    if (part.name === undefined) return undefined;
    parts.push(part as FormPart);
    if (parts.length > maxParts) return undefined;
    pos = next + 2;
  }
}
