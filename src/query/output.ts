import { renderCsv, renderTable } from '../tabular';
import { terminalSafe, terminalSafeJson } from '../untrusted-text';

/**
 * What a search prints, as data: the CLI renders it as text or JSON, a job stores its summary,
 * tests assert on it without parsing text.
 */
export type SearchOutput = CountOutput | ListOutput | DumpOutput | CleanOutput | UncleanOutput | ProtectOutput | AggregateOutput | ExplainOutput;

export interface CountOutput {
  type: 'count';
  /** The path counted by, as written back (`name`), or null for a plain `count`. */
  path: string | null;
  /** Fewest first, ties by value. */
  counts: { value: string; count: number }[];
  total_matched: number;
  total_unmatched: number;
}

/** A value as listed: objects (tags) stay objects in JSON and print as JSON in text and CSV. */
export type Cell = string | number | boolean | null | { [key: string]: unknown } | unknown[];

export interface ListOutput {
  type: 'list';
  format: 'table' | 'csv' | 'json';
  columns: string[];
  rows: Cell[][];
  /** Duration columns (`age`, `last_access`): their values in seconds, row by row, for JSON's `<column>_seconds`. */
  seconds?: { index: number; values: (number | null)[] }[];
}

/** `aggregate`: the group and function names, and per group its values and the functions' results. */
export interface AggregateOutput {
  type: 'aggregate';
  groups: string[];
  functions: string[];
  rows: { group: Cell[]; values: Cell[] }[];
}

/** `search --explain`: the canonical query, and what each part scanned and matched. */
export interface ExplainOutput {
  type: 'explain';
  query: string;
  parts: {
    term: string;
    /** every node, the one kind the term names, or the nodes the previous traversal reached */
    scanned: 'all' | 'kind' | 'reached';
    kinds: string[];
    candidates: number;
    matched: number;
    traversal?: string;
    reached?: number;
  }[];
  /** Printed back, not run. */
  commands: string[];
}

export interface DumpedNode {
  id: string;
  kind: string;
  reported: Record<string, unknown>;
  metadata: Record<string, unknown>;
  desired: Record<string, unknown>;
  ancestors: Record<string, { id: string; name: unknown }>;
}

export interface DumpOutput {
  type: 'dump';
  nodes: DumpedNode[];
}

export interface CleanOutput {
  type: 'clean';
  matched: number;
  flagged: number;
  already_flagged: number;
}

/** `unclean`: how many flags were cleared; nodes that were not flagged are counted apart. */
export interface UncleanOutput {
  type: 'unclean';
  matched: number;
  unflagged: number;
  not_flagged: number;
}

export interface ProtectOutput {
  type: 'protect' | 'unprotect';
  matched: number;
  changed: number;
}

export type RenderFormat = 'text' | 'json';

/** The text a user sees, without a trailing newline; empty for an empty table. JSON is two-space indented, as every verb prints it. */
export function render(output: SearchOutput, format: RenderFormat = 'text', width?: number): string {
  if (output.type === 'list') return renderList(output, format === 'json' ? 'json' : output.format, width);
  if (output.type === 'aggregate') return format === 'json' ? JSON.stringify(aggregateRows(output), null, 2) : renderList(aggregateTable(output), 'table', width);
  if (format === 'json') {
    return JSON.stringify(output.type === 'dump' ? output.nodes : withoutType(output), null, 2);
  }
  switch (output.type) {
    case 'count':
      return [...output.counts.map(({ value, count }) => `${terminalSafe(value)}: ${count}`), `total matched: ${output.total_matched}`, `total unmatched: ${output.total_unmatched}`].join('\n');
    case 'dump':
      return terminalSafeJson(JSON.stringify(output.nodes, null, 2));
    case 'clean':
      return `flagged ${output.flagged} for cleanup (${output.matched} matched, ${output.already_flagged} already flagged)`;
    case 'unclean':
      return `unflagged ${output.unflagged} (${output.matched} matched, ${output.not_flagged} were not flagged)`;
    case 'protect':
      return `protected ${output.changed} (${output.matched} matched, ${output.matched - output.changed} already protected)`;
    case 'explain':
      return renderExplain(output);
    case 'unprotect':
      return `unprotected ${output.changed} (${output.matched} matched, ${output.matched - output.changed} were not protected)`;
  }
}

/** Fix Inventory's shape: `{"group": {"account": "prod"}, "keys": 12}`, without `group` when nothing is grouped. */
function aggregateRows(output: AggregateOutput): Record<string, unknown>[] {
  return output.rows.map(({ group, values }) => ({
    ...(output.groups.length > 0 ? { group: Object.fromEntries(output.groups.map((name, i) => [name, group[i] ?? null])) } : {}),
    ...Object.fromEntries(output.functions.map((name, i) => [name, values[i] ?? null])),
  }));
}

function aggregateTable(output: AggregateOutput): ListOutput {
  return { type: 'list', format: 'table', columns: [...output.groups, ...output.functions], rows: output.rows.map(({ group, values }) => [...group, ...values]) };
}

function renderExplain(output: ExplainOutput): string {
  const lines = [`query: ${output.query}`];
  output.parts.forEach((part, i) => {
    const scanned = { all: 'every node', kind: 'one kind', reached: `the nodes reached by ${output.parts[i - 1]?.traversal ?? ''}` }[part.scanned];
    lines.push(`part ${i + 1}: ${part.term}`);
    lines.push(`  scanned ${part.candidates} nodes (${scanned}; kinds: ${part.kinds.join(', ') || 'none'}), matched ${part.matched}`);
    if (part.traversal !== undefined) lines.push(`  then ${part.traversal}: reached ${part.reached ?? 0} nodes`);
  });
  lines.push(output.commands.length > 0 ? `commands (not run): ${output.commands.join(' | ')}` : 'commands: none (the result is listed)');
  return lines.map(terminalSafe).join('\n');
}

function withoutType<T extends { type: string }>(output: T): Omit<T, 'type'> {
  const { type: _type, ...rest } = output;
  return rest;
}

function renderList(output: ListOutput, format: 'table' | 'csv' | 'json', width?: number): string {
  if (format === 'json') {
    // An age as a person reads it (`97d`) and as a script computes with it (`age_seconds`).
    return JSON.stringify(
      output.rows.map((row, r) => {
        const object: Record<string, unknown> = {};
        output.columns.forEach((column, i) => {
          object[column] = row[i] ?? null;
          const seconds = output.seconds?.find((s) => s.index === i);
          if (seconds) object[`${column}_seconds`] = seconds.values[r] ?? null;
        });
        return object;
      }),
      null,
      2,
    );
  }
  if (format === 'csv') return renderCsv(output.columns, output.rows);
  if (output.rows.length === 0) return '';
  // Fix Inventory's lists align every column left, numbers too.
  return renderTable(
    output.rows,
    output.columns.map((header, i) => ({ header, value: (row: Cell[]) => row[i], align: 'left' as const })),
    width,
  );
}

export function textCell(cell: Cell): string {
  return cell === null ? '' : typeof cell === 'object' ? JSON.stringify(cell) : String(cell);
}
