/**
 * CSV cells a spreadsheet cannot execute (OWASP "CSV Injection"): a cell that starts with `=`, `+`,
 * `-`, `@`, a tab or a carriage return gets a leading `'` so Excel, LibreOffice and Google Sheets
 * show it as text, and every cell is quoted with inner quotes doubled, so a `"` or `,` in a name
 * cannot end the cell and start a formula in the next one.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function csvRow(values: readonly string[]): string {
  return values.map(csvCell).join(',');
}
