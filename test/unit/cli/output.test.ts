import { describe, expect, it } from 'vitest';
import { consoleOutput, safeText } from '../../../cli/output';

describe('terminal output strips control characters from data (issue 11)', () => {
  it('shows ESC, OSC, BEL, C1 and bidi overrides as visible escapes; keeps tabs, newlines and text', () => {
    expect(safeText('M\u00fcller\t\u001b]0;pwned\u0007\u001b[2J\u009b\u202e!')).toBe(
      'M\u00fcller\t\\x1b]0;pwned\\x07\\x1b[2J\\x9b\\u202e!',
    );
    expect(safeText('line one\nline two')).toBe('line one\nline two');
  });

  it('every line written goes through it', () => {
    const written: string[] = [];
    const sink = { write: (s: string) => written.push(s), isTTY: false } as unknown as NodeJS.WriteStream;
    consoleOutput(sink, sink).line('title \u001b]0;evil\u0007');
    expect(written).toEqual(['title \\x1b]0;evil\\x07\n']);
  });
});
