import { describe, expect, it } from 'vitest';
import { safeText } from '../../../cli/output';
import { paint, renderStyles } from '../../../cli/style';

const ESC = '\u001b';
/** What console output does to a line: escape control characters, then render paint's markers. */
const shown = (line: string) => renderStyles(safeText(line));

describe('colour on a terminal', () => {
  it('paints with real escape codes only where paint put them', () => {
    expect(shown(`${paint('critical', 'critical', true)} 3`)).toBe(`${ESC}[1;31mcritical${ESC}[0m 3`);
    expect(shown(paint('critical', 'critical', false))).toBe('critical');
  });

  it('shows escape codes and forged markers from data as text, next to real colour', () => {
    // Arrange: a name that tries SGR 8 (conceal) directly and through a guessed marker.
    const hostile = `Vera${ESC}[8m hidden \u0000deadbeefdeadbeefdeadbeef:critical\u0000`;

    // Act
    const line = shown(`${paint('high', 'high', true)} ${hostile}`);

    // Assert
    expect(line.startsWith(`${ESC}[31mhigh${ESC}[0m `)).toBe(true);
    expect(line).toContain('Vera\\x1b[8m hidden \\x00deadbeefdeadbeefdeadbeef:critical\\x00');
    expect(line.split(ESC)).toHaveLength(3);
  });
});
