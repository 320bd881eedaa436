// @ts-check
// CSV export made in the browser from rows already on screen: no export route on the server.

/** @param {unknown} value */
function cell(value) {
  const text = value === null || value === undefined ? '' : String(value);
  // Quote when needed (RFC 4180), and defuse spreadsheet formulas in text cells.
  const safe = /^[=+\-@\t\r]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * @param {string[]} header
 * @param {unknown[][]} rows
 */
export const toCsv = (header, rows) => [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
