import type { Command } from 'commander';
import { defaultFixWorkerConfig, FIX_WORKER } from '../src/config/fix-worker';
import { ALL_KIND_NAMES, DESIRED_FIELDS, FieldTypes, METADATA_FIELDS, REPORTED_FIELDS } from '../src/inventory/model';
import { DURATION_PROPERTIES } from '../src/query/paths';
import { COMMAND_NAMES } from '../src/query/ast';
import { WORKFLOW_EVENTS, WORKFLOW_NAMES } from '../src/workflow/declaration';
import { splitWords, stripPrompt } from './shell-words';

/**
 * Tab completion at the `cloudsweep shell` prompt: verbs, subcommands and options (read from the
 * commander program, so new verbs complete without changes here), kinds inside `is(...)`, property
 * paths and pipe commands inside a search, and the few argument values the CLI knows (workflow
 * and event names, `fix.worker` keys).
 */

export interface CommandSpec {
  name: string;
  subcommands: CommandSpec[];
  options: string[];
}

/** The shape of the program, for completion: names, subcommands and long options. */
export function commandTree(program: Command): CommandSpec {
  return {
    name: program.name(),
    subcommands: program.commands.map((command) => commandTree(command)),
    options: [...program.options.map((option) => option.long ?? option.short ?? ''), '--help'].filter((o) => o !== ''),
  };
}

/** Words the shell understands besides the program's verbs. */
export const SHELL_WORDS = ['exit', 'quit', 'help'] as const;

/** Reported properties (the inventory model's, nested ones dotted) and the synthetic ones, as a search path names them. */
export const REPORTED_PROPERTIES: readonly string[] = [
  ...new Set([...Object.values(REPORTED_FIELDS).flatMap((fields) => fieldPaths(fields)), ...DURATION_PROPERTIES]),
];
export const METADATA_KEYS: readonly string[] = Object.keys(METADATA_FIELDS);

function fieldPaths(fields: FieldTypes, prefix = ''): string[] {
  return Object.entries(fields).flatMap(([key, type]) => (typeof type === 'object' ? fieldPaths(type, `${prefix}${key}.`) : [`${prefix}${key}`]));
}
const ANCESTOR_KINDS = ['account', 'user'] as const;
const QUERY_WORDS = ['and', 'or', 'not', 'in', 'all', 'any', 'none', 'is(', 'id(', 'has_key(', 'account', 'sort', 'limit', 'asc', 'desc'];

/** Every absolute path a search accepts, for `/...` completion. */
export function absolutePaths(): string[] {
  const reported = REPORTED_PROPERTIES.map((p) => `/reported.${p}`);
  const metadata = METADATA_KEYS.map((k) => `/metadata.${k}`);
  const ancestors = ANCESTOR_KINDS.flatMap((kind) => REPORTED_PROPERTIES.map((p) => `/ancestors.${kind}.reported.${p}`));
  return [...reported, ...metadata, ...Object.keys(DESIRED_FIELDS).map((k) => `/desired.${k}`), ...ancestors];
}

/** readline's completer contract: the candidates and the piece of the line they replace. */
export type Completion = [string[], string];

export function complete(line: string, tree: CommandSpec): Completion {
  const [candidates, partial] = candidatesFor(line, tree);
  // One complete word: add the space that separates it from the next, as shells do. A word that
  // goes on (`/ancestors.`, `key=`, `is(`) gets none.
  const only = candidates.length === 1 ? candidates[0] : undefined;
  if (only !== undefined && !/[.=(/:]$/.test(only)) return [[`${only} `], partial];
  return [candidates, partial];
}

function candidatesFor(line: string, tree: CommandSpec): Completion {
  const typed = stripPrompt(line);
  let words: string[];
  try {
    words = splitWords(typed).map((word) => word.text);
  } catch {
    return [[], ''];
  }
  const endsInBlank = typed === '' || /\s$/.test(typed);
  const partial = endsInBlank ? '' : (words.pop() ?? '');
  const searchAt = words.indexOf('search');
  if (searchAt >= 0 && words.slice(0, searchAt).every((w) => w.startsWith('-'))) {
    const queryStart = typed.indexOf('search') + 'search'.length;
    return completeQuery(typed.slice(queryStart));
  }
  return completeCommand(words.filter((w) => !w.startsWith('-') || w === partial), partial, tree, words);
}

function completeCommand(positional: string[], partial: string, tree: CommandSpec, words: string[]): Completion {
  let spec = tree;
  const path: string[] = [];
  for (const word of positional) {
    const sub = spec.subcommands.find((command) => command.name === word);
    if (!sub) break;
    spec = sub;
    path.push(word);
  }
  if (partial.startsWith('-')) return [matching(spec.options, partial), partial];
  const previous = words[words.length - 1];
  const values = argumentValues(path, positional.slice(path.length), previous);
  if (values) return [matching(values, partial), partial];
  const candidates = spec.subcommands.map((command) => command.name);
  if (path.length === 0) candidates.push(...SHELL_WORDS);
  return [matching(candidates, partial), partial];
}

/** Values of arguments and options the CLI knows, by where the cursor is. */
function argumentValues(path: string[], args: string[], previous: string | undefined): string[] | undefined {
  const at = path.join(' ');
  if (previous === '--wait-for-event') return [...WORKFLOW_EVENTS];
  if (previous === '--output' || previous === '-o') return ['text', 'json', 'csv'];
  if (at === 'workflow run' && args.length === 0) return [...WORKFLOW_NAMES];
  if (/^config (get|set|edit|validate)$/.test(at) && args.length === 0) return [FIX_WORKER];
  if (at === 'config set' && args.length >= 1) return configKeys(defaultFixWorkerConfig()).map((key) => `${key}=`);
  return undefined;
}

function configKeys(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => configKeys(inner, prefix ? `${prefix}.${key}` : key));
}

/** Completes inside a search query: kinds in `is(...)`, commands after `|`, paths elsewhere. */
export function completeQuery(query: string): Completion {
  const partial = /[A-Za-z0-9_\-./]*$/.exec(query)?.[0] ?? '';
  const before = query.slice(0, query.length - partial.length);
  if (/\bis\(\s*\[?\s*(?:[A-Za-z0-9_]+\s*,\s*)*$/.test(before)) return [matching(ALL_KIND_NAMES, partial), partial];
  if (/\|\s*$/.test(before)) return [matching(COMMAND_NAMES, partial), partial];
  if (partial.startsWith('/')) return [nextSegments(absolutePaths(), partial), partial];
  return [nextSegments([...REPORTED_PROPERTIES, ...QUERY_WORDS], partial), partial];
}

/** Candidates cut after the next `.` past the partial: `/` offers `/reported.`, `/metadata.` ... */
function nextSegments(paths: readonly string[], partial: string): string[] {
  const cut = paths
    .filter((path) => path.startsWith(partial))
    .map((path) => {
      const dot = path.indexOf('.', partial.length);
      return dot < 0 ? path : path.slice(0, dot + 1);
    });
  return [...new Set(cut)].sort();
}

function matching(candidates: readonly string[], partial: string): string[] {
  return [...new Set(candidates.filter((candidate) => candidate.startsWith(partial)))].sort();
}
