/**
 * The search language's syntax tree. Plain data without source positions, so that
 * `parse(format(q))` deep-equals `q` and a stored job's query can be compared and printed.
 */

/** A search: one or more parts joined by traversals, then commands (`| count name`). */
export interface Query {
  parts: Part[];
  commands: Command[];
}

/** A filter over a set of nodes, optionally sorted and limited, and how to move on from it. */
export interface Part {
  term: Term;
  /** `with(empty, --> is(access_key))`: keeps the nodes whose neighbourhood passes the count. */
  with?: WithClause;
  sort?: SortKey[];
  limit?: Limit;
  /** The traversal to the next part; absent on the last part. */
  navigation?: Navigation;
}

export type Direction = 'out' | 'in' | 'inout';

/** `-->` is out 1..1, `<-[0:2]-` is in 0..2, `-[1:]->` is out from depth 1 without end. */
export interface Navigation {
  direction: Direction;
  start: number;
  /** Undefined: no upper bound. */
  until?: number;
}

/**
 * Fix Inventory's `with(empty|any|count OP N, <traversal> [term] [with(...)])`: for each node, the
 * nodes the traversal reaches from it that match the term (and their own with clause) are
 * counted, and the node stays when the count passes. `empty` is `count = 0`, `any` is `count > 0`.
 */
export interface WithClause {
  count: { op: CountOperator; value: number };
  navigation: Navigation;
  term?: Term;
  with?: WithClause;
}

export type CountOperator = '=' | '!=' | '>' | '>=' | '<' | '<=';

export interface SortKey {
  path: Path;
  order: 'asc' | 'desc';
}

export interface Limit {
  offset: number;
  count: number;
}

export type Term = AllTerm | IsTerm | IdTerm | PredicateTerm | HasKeyTerm | FullTextTerm | NotTerm | CombinedTerm;

export interface AllTerm {
  type: 'all';
}
/** `is(user)`, `is(a, b)`: nodes whose kind is (a kind of) one of these. */
export interface IsTerm {
  type: 'is';
  kinds: string[];
}
export interface IdTerm {
  type: 'id';
  ids: string[];
}
export interface PredicateTerm {
  type: 'predicate';
  path: Path;
  op: Operator;
  value: Value;
  /** For list-valued properties: `tags any = x`. */
  modifier?: ArrayModifier;
}
export interface HasKeyTerm {
  type: 'has_key';
  path: Path;
  keys: string[];
}
/** A quoted string on its own: matches nodes with any reported string containing it. */
export interface FullTextTerm {
  type: 'fulltext';
  text: string;
}
export interface NotTerm {
  type: 'not';
  term: Term;
}
export interface CombinedTerm {
  type: 'and' | 'or';
  left: Term;
  right: Term;
}

export type Operator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~' | 'in' | 'not in';
export type ArrayModifier = 'any' | 'all' | 'none';

/** JSON literals, lists and unquoted strings; `90days` and `2026-01-01` stay strings until compared. */
export type Value = string | number | boolean | null | Value[];

export type Section = 'reported' | 'metadata' | 'desired';

/**
 * Where a value lives. `name` is `{section: 'reported', keys: ['name']}`;
 * `/ancestors.user.reported.name` adds `ancestor: 'user'`; `account` alone is the account shorthand.
 */
export type Path = PropertyPath | AccountPath;

export interface PropertyPath {
  type: 'property';
  /** Read from the nearest ancestor of this kind instead of the node itself. */
  ancestor?: string;
  section: Section;
  keys: string[];
}

/** `account=prod`: the name or id of the account the node belongs to. */
export interface AccountPath {
  type: 'account';
}

export type Command =
  | { name: 'count'; path?: Path }
  | { name: 'sort'; keys: SortKey[] }
  | { name: 'limit'; limit: Limit }
  | TraversalCommand
  | AggregateCommand
  | { name: 'list'; columns: Column[]; format: 'table' | 'csv' | 'json' }
  | { name: 'head'; count: number }
  | { name: 'tail'; count: number }
  | { name: 'dump' }
  | { name: 'clean'; reason?: string }
  | { name: 'unclean'; reason?: string }
  /** `protect --until 2027-03-31 --reason "vendor migration"`: an exemption with an end and a reason (docs/owners.md). */
  | { name: 'protect'; until?: string; reason?: string }
  | { name: 'unprotect' };

export type CommandName = Command['name'];

/**
 * `| predecessors`, `| ancestors --with-origin user`: moves the result one step (predecessors,
 * successors) or all the way (ancestors, descendants) up or down, as Fix Inventory's commands;
 * with the origin, the nodes it starts from stay in. A kind keeps only nodes of that kind.
 */
export interface TraversalCommand {
  name: TraversalCommandName;
  withOrigin: boolean;
  kind?: string;
}

/**
 * Fix Inventory's `aggregate group, ...: fn(path) as name, ...` (or `aggregate(...):` before the
 * query): one row per distinct combination of the group values, with each function over its nodes.
 */
export interface AggregateCommand {
  name: 'aggregate';
  groups: AggregateGroup[];
  functions: AggregateFunction[];
}

export interface AggregateGroup {
  path: Path;
  name?: string;
}

export type AggregateFunctionName = 'sum' | 'count' | 'min' | 'max' | 'avg';
export const AGGREGATE_FUNCTIONS: readonly AggregateFunctionName[] = ['sum', 'count', 'min', 'max', 'avg'];

export interface AggregateFunction {
  fn: AggregateFunctionName;
  /** A path, or a number counted for every node (`sum(1)`). */
  of: Path | number;
  name?: string;
}

export type TraversalCommandName = 'ancestors' | 'descendants' | 'predecessors' | 'successors';

export const TRAVERSAL_COMMANDS: Readonly<Record<TraversalCommandName, Omit<Navigation, 'start'>>> = {
  predecessors: { direction: 'in', until: 1 },
  successors: { direction: 'out', until: 1 },
  ancestors: { direction: 'in' },
  descendants: { direction: 'out' },
};

export interface Column {
  path: Path;
  /** The header: `as owner`, else the path's last key. */
  name?: string;
}

export const COMMAND_NAMES: readonly CommandName[] = [
  'count', 'list', 'head', 'tail', 'dump', 'clean', 'unclean', 'protect', 'unprotect', 'sort', 'limit', 'ancestors', 'descendants', 'predecessors', 'successors', 'aggregate',
];

/** Commands that print the result: they come last. */
export const PRINTING_COMMANDS: readonly CommandName[] = ['count', 'list', 'dump', 'aggregate'];

/** Commands that change the inventory: refused on a snapshot, written through the store otherwise. */
export const MUTATING_COMMANDS: readonly CommandName[] = ['clean', 'unclean', 'protect', 'unprotect'];

/**
 * Changing commands that can lead to a deletion (a new flag, a lifted protection): they must not
 * interleave with a workflow run, so they take its lease. `protect` and `unclean` only keep keys,
 * and cleanup re-reads the flags before each write, so they never wait: typed during a run, they
 * hold at once for every key not yet written.
 */
export const LEASED_COMMANDS: readonly CommandName[] = ['clean', 'unprotect'];

export function needsLease(query: Query): boolean {
  return query.commands.some((command) => LEASED_COMMANDS.includes(command.name));
}

export function isMutating(query: Query): boolean {
  return query.commands.some((command) => MUTATING_COMMANDS.includes(command.name));
}
