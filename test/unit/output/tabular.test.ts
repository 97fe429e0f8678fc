import { terminalWidth } from '../../../cli/context';
import { clip, fitWidths, renderCsv, renderTable } from '../../../src/tabular';

const COLUMNS = [
  { header: 'user', value: (row: { user: string; keys: number; note?: string }) => row.user },
  { header: 'keys', value: (row: { user: string; keys: number; note?: string }) => row.keys },
  { header: 'note', value: (row: { user: string; keys: number; note?: string }) => row.note },
];

describe('the table renderer', () => {
  it('aligns columns on their widest cell, numbers to the right, and prints a missing value as an empty cell', () => {
    const text = renderTable([{ user: 'alice', keys: 12, note: 'ok' }, { user: 'bob', keys: 3 }], COLUMNS);
    expect(text).toBe(['user   keys  note', 'alice    12  ok', 'bob       3'].join('\n'));
  });

  it('prints the whole table without a width, and cuts the widest cells with an ellipsis to fit one', () => {
    const rows = [{ user: 'deploy-bot-for-the-payments-service', keys: 2, note: 'owned by the payments team, ask in #payments' }];
    expect(renderTable(rows, COLUMNS)).toContain('owned by the payments team, ask in #payments');
    const cut = renderTable(rows, COLUMNS, 40).split('\n');
    for (const line of cut) expect(line.length).toBeLessThanOrEqual(40);
    expect(cut[1]).toBe('deploy-bot-for-…     2  owned by the pa…');
  });

  it('keeps the columns left-aligned when asked, as search lists are', () => {
    const text = renderTable([{ n: 5 }, { n: 10 }], [{ header: 'x', value: () => 'a' }, { header: 'n', value: (row: { n: number }) => row.n, align: 'left' }]);
    expect(text).toBe(['x  n', 'a  5', 'a  10'].join('\n'));
  });

  it('gives way from the widest column first and cuts none below six characters', () => {
    expect(fitWidths([30, 10, 4], 30)).toEqual([12, 10, 4]);
    expect(fitWidths([30, 30], 10)).toEqual([6, 6]);
    expect(fitWidths([30, 10], undefined)).toEqual([30, 10]);
    expect(clip('abcdefgh', 5)).toBe('abcd…');
  });
});

describe('the CSV writer', () => {
  it('writes RFC 4180 lines: quotes what needs it, numbers and booleans as they are, objects as JSON, nothing for null', () => {
    const text = renderCsv(['name', 'keys', 'active', 'tags', 'reason'], [['a, b', 2, true, { team: 'x' }, null], ['say "hi"', 0, false, undefined, ' padded']]);
    expect(text).toBe(['name,keys,active,tags,reason', '"a, b",2,true,"{""team"":""x""}",', '"say ""hi""",0,false,," padded"'].join('\n'));
  });

  it('neutralises a cell a spreadsheet would run as a formula', () => {
    expect(renderCsv(['user'], [['=HYPERLINK("http://x")'], ['-1+2'], ['@SUM(A1)']])).toBe(['user', '"\'=HYPERLINK(""http://x"")"', "'-1+2", "'@SUM(A1)"].join('\n'));
  });
});

describe('the width tables are cut to', () => {
  it('is COLUMNS when set to a positive whole number, else the terminal width, else none', () => {
    expect(terminalWidth({ COLUMNS: '60' }, 120)).toBe(60);
    expect(terminalWidth({ COLUMNS: '60' }, undefined)).toBe(60);
    expect(terminalWidth({ COLUMNS: 'wide' }, 120)).toBe(120);
    expect(terminalWidth({ COLUMNS: '0' }, undefined)).toBeUndefined();
    expect(terminalWidth({}, 0)).toBeUndefined();
    expect(terminalWidth({}, undefined)).toBeUndefined();
  });
});
