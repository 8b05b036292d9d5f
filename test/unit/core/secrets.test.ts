import { describe, expect, it } from 'vitest';
import { createScrubber, REDACTED, scrubDeep } from '../../../core/secrets';

const SECRET = 'Zk8~q.P2-secret/Value+9';

describe('createScrubber', () => {
  it('replaces a configured secret in the forms a request carries it: raw, URL-, form- and JSON-encoded, base64', () => {
    // Arrange
    const scrub = createScrubber([SECRET]);
    const forms = [
      SECRET,
      encodeURIComponent(SECRET),
      JSON.stringify(SECRET).slice(1, -1),
      Buffer.from(SECRET).toString('base64'),
    ];

    // Act
    const out = forms.map((f) => scrub.values(`echo: ${f} end`));

    // Assert
    for (const o of out) expect(o).toBe(`echo: ${REDACTED} end`);
  });

  it('replaces credentials by pattern whatever their value', () => {
    // Arrange
    const scrub = createScrubber();
    const text =
      'grant_type=client_credentials&client_id=app&client_secret=abc123xyz&x=1 ' +
      '{"authorization":"Bearer eyJ0eXAi.abc.def"} Authorization: Basic YXBwOnNlY3JldA== ' +
      '"access_token": "tok-999" refresh_token=rt-1 sid 00DTS00000TEST1EAA!AQ4AQH0dMHZfz972Szmpkb58urFRkg ' +
      'jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.sig-part -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';

    // Act
    const out = scrub.text(text);

    // Assert
    for (const leaked of [
      'abc123xyz',
      'eyJ0eXAi',
      'YXBwOnNlY3JldA',
      'tok-999',
      'rt-1',
      'AQ4AQH0dMHZ',
      'eyJhbGci',
      'MIIE',
    ])
      expect(out).not.toContain(leaked);
    expect(out).toContain('client_id=app');
    expect(out).toContain('client_secret=[redacted]');
    expect(out).toContain('Bearer [redacted]');
  });

  it('leaves data alone when scrubbing records by value only, and ignores values too short to be secrets', () => {
    // Arrange
    const scrub = createScrubber(['short', undefined]);
    const line = '{"name":"password=reset queue","note":"short"}';

    // Act / Assert
    expect(scrub.values(line)).toBe(line);
  });

  it('learns secrets added later and scrubs every string of log fields', () => {
    // Arrange
    const scrub = createScrubber();
    scrub.add(SECRET);

    // Act
    const out = scrubDeep({ error: `bad ${SECRET}`, nested: [{ a: SECRET }], n: 3 }, scrub);

    // Assert
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(out).toMatchObject({ n: 3 });
  });
});
