/**
 * Inventory values come from IAM, where anyone who can create a user or tag one chooses the text:
 * a user name or tag holding ESC, BEL or CSI can retitle, recolour or rewrite a terminal, and a
 * cell starting with `=` runs as a formula in a spreadsheet. Text and tables print them through
 * `terminalSafe`, CSV through `csvCell`. JSON needs neither: its string escapes already apply.
 */

/**
 * C0 controls (tab, newline and carriage return included: they break a table's lines), DEL, C1
 * controls (0x9b is CSI on its own) and the bidirectional overrides and isolates that reorder
 * what follows them on screen (Trojan Source), and the Unicode line and paragraph separators.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves unescaped of UNSAFE: it escapes every C0 control in strings itself. */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SHORT: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** The text with each control character shown as an escape (`\x1b`, `\n`, `\u202e`) instead of acting on the terminal. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (char) => SHORT[char] ?? escapeCode(char.charCodeAt(0)));
}

function escapeCode(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * JSON text as a terminal may show it: the same JSON value, with the characters JSON.stringify
 * leaves raw (DEL, C1 controls, bidi controls, line separators) written as `\uXXXX` escapes.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(RAW_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** What a spreadsheet reads as the start of a formula (OWASP CSV injection): `=`, `+`, `-`, `@`, tab, carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 cell. Text that a spreadsheet would run as a formula gets a leading single quote,
 * as OWASP advises, so `=HYPERLINK(...)` shows as text; numbers are numbers and stay as they are.
 * Quoted when it holds a comma, quote or line break, or starts or ends with a space.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}
