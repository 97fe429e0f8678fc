import { ValidationError } from '../errors';

/**
 * The IAM credential report, parsed: one row per user with what only the report gives cheaply
 * (password and MFA state, the last use of each of the two access key slots).
 */
export interface CredentialReport {
  /** When IAM generated it (emulators may answer a fixed date). */
  generatedAt?: string;
  /** Rows by user ARN; the root account's row is left out. */
  users: Map<string, ReportUser>;
}

export interface ReportUser {
  userName: string;
  arn: string;
  passwordEnabled: boolean;
  passwordLastUsed: string | null;
  mfaActive: boolean;
  /** The report's `access_key_1` and `access_key_2` columns, only those that hold a key. */
  keySlots: ReportKeySlot[];
}

export interface ReportKeySlot {
  slot: 1 | 2;
  active: boolean;
  /** `last_rotated`: when the key in this slot was created, to the second. */
  lastRotated: string;
  lastUsed: string | null;
  lastUsedRegion: string | null;
  lastUsedService: string | null;
}

const REQUIRED_COLUMNS = [
  'user',
  'arn',
  'password_enabled',
  'password_last_used',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
] as const;

const ROOT_ROW = '<root_account>';

/** Parses the report's CSV. A malformed report is rejected naming the line and column at fault. */
export function parseCredentialReport(csv: string, generatedAt?: string): CredentialReport {
  const lines = csv.split(/\r?\n/).filter((line) => line.trim() !== '');
  const headerLine = lines[0];
  if (headerLine === undefined) throw new ValidationError('credential report: empty');
  const header = splitCsvLine(headerLine);
  const column = new Map(header.map((name, i) => [name, i]));
  for (const name of REQUIRED_COLUMNS) {
    if (!column.has(name)) throw new ValidationError(`credential report: line 1: missing column ${name}`);
  }

  const users = new Map<string, ReportUser>();
  lines.slice(1).forEach((line, i) => {
    const row = alignRow(splitCsvLine(line), header.length, column);
    const lineNo = i + 2;
    const cell = (name: string): string => row[column.get(name) ?? -1] ?? '';
    const userName = cell('user');
    if (userName === ROOT_ROW) return;
    const arn = cell('arn');
    if (!arn.startsWith('arn:')) throw new ValidationError(`credential report: line ${lineNo}: column arn: not an ARN: ${JSON.stringify(arn)}`);
    const keySlots: ReportKeySlot[] = [];
    for (const slot of [1, 2] as const) {
      const lastRotated = reportDate(cell(`access_key_${slot}_last_rotated`), lineNo, `access_key_${slot}_last_rotated`);
      if (lastRotated === null) continue;
      keySlots.push({
        slot,
        active: cell(`access_key_${slot}_active`) === 'true',
        lastRotated,
        lastUsed: reportDate(cell(`access_key_${slot}_last_used_date`), lineNo, `access_key_${slot}_last_used_date`),
        lastUsedRegion: reportText(cell(`access_key_${slot}_last_used_region`)),
        lastUsedService: reportText(cell(`access_key_${slot}_last_used_service`)),
      });
    }
    users.set(arn, {
      userName,
      arn,
      passwordEnabled: cell('password_enabled') === 'true',
      passwordLastUsed: reportDate(cell('password_last_used'), lineNo, 'password_last_used'),
      mfaActive: cell('mfa_active') === 'true',
      keySlots,
    });
  });
  return { ...(generatedAt ? { generatedAt } : {}), users };
}

/** The report says "N/A", "no_information" or "not_supported" where it has no value. */
const NO_VALUE = new Set(['', 'N/A', 'no_information', 'not_supported']);

function reportText(value: string): string | null {
  return NO_VALUE.has(value) ? null : value;
}

function reportDate(value: string, line: number, name: string): string | null {
  if (NO_VALUE.has(value)) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ValidationError(`credential report: line ${line}: column ${name}: not a date: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

/** Splits one CSV line, honouring RFC 4180 quotes. */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/**
 * IAM user names may contain commas and the report does not quote them: such a row has more cells
 * than the header. The name appears in `user` and at the end of `arn`, so the surplus belongs to
 * those two columns, equally.
 */
function alignRow(cells: string[], width: number, column: Map<string, number>): string[] {
  const surplus = cells.length - width;
  if (surplus <= 0 || surplus % 2 !== 0 || column.get('user') !== 0 || column.get('arn') !== 1) return cells;
  const commas = surplus / 2;
  const user = cells.slice(0, commas + 1).join(',');
  const arn = cells.slice(commas + 1, 2 * commas + 2).join(',');
  return [user, arn, ...cells.slice(2 * commas + 2)];
}
