import { ALL_KIND_NAMES } from '../inventory/model';
import { normaliseUntil } from '../owners/exemption';
import type { AggregateCommand, AggregateFunction, AggregateFunctionName, AggregateGroup, ArrayModifier, Column, Command, CommandName, CountOperator, Limit, Operator, Part, Path, Query, SortKey, Term, TraversalCommand, TraversalCommandName, Value, WithClause } from './ast';
import { AGGREGATE_FUNCTIONS, COMMAND_NAMES, PRINTING_COMMANDS } from './ast';
import { parseDuration } from './durations';
import { ParseError } from './errors';
import { EDGE_TYPES, sourceColumn, Token, tokenize } from './lexer';
import { formatPath, isDurationPath, readPath } from './paths';
import { findUnknownPath } from './known-paths';
import { compilePattern } from './regex';

/**
 * Reads a search (`[search] QUERY [| COMMAND ...]`) into a Query. Precedence is `not` > `and` > `or`;
 * `and`/`or` fold to the left. Every mistake is a ParseError pointing at the token that is wrong.
 */
export function parse(text: string): Query {
  return new Parser(text).query();
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const MODIFIERS: readonly string[] = ['any', 'all', 'none'];
const COUNT_OPERATORS: readonly string[] = ['=', '==', '!=', '>', '>=', '<', '<='];
const DEFAULT_ROWS = 100;
/**
 * Caps that keep every recursive walk of a query (parse, path check, evaluation, print) far from
 * the stack's limit: a hostile stored job fails with a ParseError instead of a stack overflow.
 */
export const MAX_NESTING = 64;
export const MAX_TERMS = 256;
const TERM_START = 'a term: is(kind), id(x), all, has_key(path, "key"), a path with an operator (name = x), "text", not or (';

class Parser {
  private readonly tokens: Token[];
  private index = 0;
  /** Where each path was written, for errors found once the whole query is read. */
  private readonly pathTokens = new WeakMap<Path, Token>();
  private depth = 0;
  private terms = 0;
  /** Bare numbers compared with a duration property (`last_access > 90`): seconds, rarely meant. */
  private readonly bareSeconds: { token: Token; path: Path }[] = [];

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  query(): Query {
    const first = this.peek();
    if (first.type === 'word' && first.text === 'search' && !this.isOperatorAt(this.index + 1)) this.index += 1;
    const aggregate = this.aggregatePreamble();
    if (this.atEnd()) this.fail(`expected ${TERM_START}`);
    const parts = this.parts();
    const commands = this.commands();
    if (aggregate) {
      if (commands.length > 0) this.fail('aggregate(...): prints the result: no command may follow it; write it as | aggregate ... after the commands', this.tokens[this.index - 1]);
      commands.push(aggregate);
    }
    const query = { parts, commands };
    this.checkPaths(query);
    this.checkSecondsBeforeClean(query);
    return query;
  }

  /**
   * `last_access > 90 | clean` compares with 90 seconds and would flag nearly every key: in a
   * search that cleans, a bare number against a duration property must say its unit.
   */
  private checkSecondsBeforeClean(query: Query): void {
    const bare = this.bareSeconds[0];
    if (bare === undefined || !query.commands.some((command) => command.name === 'clean')) return;
    const path = formatPath(bare.path);
    this.fail(
      `${bare.token.text} after ${path} is ${bare.token.text} seconds, which a search that cleans almost never means: write the unit, ${bare.token.text}days (or ${bare.token.text}s if seconds are meant)`,
      bare.token,
    );
  }

  /** Refuses a property that no kind the query can reach there has (after `tags.` anything goes). */
  private checkPaths(query: Query): void {
    const unknown = findUnknownPath(query);
    if (!unknown || unknown.path.type === 'account') return;
    const token = this.pathTokens.get(unknown.path) ?? this.peek();
    const rest = unknown.path.keys.slice(unknown.key).join('.');
    this.fail(unknown.problem, token, Math.max(0, token.text.length - rest.length));
  }

  /** Fix Inventory's form before the query: `aggregate(kind: sum(1) as n): is(access_key)`. */
  private aggregatePreamble(): AggregateCommand | undefined {
    if (!this.isWord('aggregate') || !this.isPunctAt(this.index + 1, '(')) return undefined;
    this.index += 2;
    const spec = this.aggregateSpec();
    this.expectPunct(')', 'expected , or ) to close aggregate(');
    this.splitColon();
    this.expectPunct(':', 'expected : and the query after aggregate(...)');
    return spec;
  }

  /** `group [as name], ...: fn(path) [as name], ...`, the groups optional. */
  private aggregateSpec(): AggregateCommand {
    const groups: AggregateGroup[] = [];
    if (!this.atAggregateFunction()) {
      do {
        this.splitColon();
        const path = this.path('a property to group by, or a function: sum(...), count(...), min(...), max(...) or avg(...)');
        this.splitColon();
        const name = this.alias(true);
        groups.push(name === undefined ? { path } : { path, name });
      } while (this.acceptPunct(','));
      this.expectPunct(':', 'expected , or : between the groups and the functions');
    }
    const functions: AggregateFunction[] = [];
    do functions.push(this.aggregateFunction());
    while (this.acceptPunct(','));
    return { name: 'aggregate', groups, functions };
  }

  private aggregateFunction(): AggregateFunction {
    if (!this.atAggregateFunction()) this.fail(`expected a function: ${AGGREGATE_FUNCTIONS.map((fn) => `${fn}(path)`).join(', ')}`);
    const fn = this.next().text as AggregateFunctionName;
    this.index += 1;
    const token = this.peek();
    let of: Path | number;
    if (token.type === 'word' && NUMBER.test(token.text)) {
      this.index += 1;
      of = Number(token.text);
    } else {
      of = this.path('a property or a number, such as sum(1)');
    }
    const after = this.peek();
    if (after.type === 'op' || (after.type === 'word' && /^[-+*/%]/.test(after.text))) this.fail('arithmetic in aggregate functions is not supported: use a property or a number');
    this.expectPunct(')', `expected ) to close ${fn}(`);
    this.splitColon();
    const name = this.alias(true);
    return name === undefined ? { fn, of } : { fn, of, name };
  }

  private atAggregateFunction(): boolean {
    const token = this.peek();
    return token.type === 'word' && (AGGREGATE_FUNCTIONS as readonly string[]).includes(token.text) && this.isPunctAt(this.index + 1, '(');
  }

  /** `as name` after a column, group or function: a word or a string (in an aggregate, `name:` ends it). */
  private alias(inAggregate = false): string | undefined {
    if (!this.isWord('as')) return undefined;
    this.index += 1;
    if (inAggregate) this.splitColon();
    const alias = this.peek();
    if (alias.type !== 'word' && alias.type !== 'string') this.fail('expected a name after as');
    this.index += 1;
    if (inAggregate) this.splitColon();
    return alias.text;
  }

  /**
   * `:` is a word character (ARNs, times), but in an aggregate it separates groups from functions:
   * splits `kind:`, `:is` and `kind:sum` followed by `(` into the word, `:` and the rest.
   */
  private splitColon(): void {
    const token = this.peek();
    if (token.type !== 'word') return;
    const at = token.text.endsWith(':') ? token.text.length - 1 : token.text.startsWith(':') ? 0 : token.text.lastIndexOf(':');
    if (at < 0) return;
    const rest = token.text.slice(at + 1);
    const splits = at === token.text.length - 1 || at === 0 || ((AGGREGATE_FUNCTIONS as readonly string[]).includes(rest) && this.isPunctAt(this.index + 1, '('));
    if (!splits) return;
    const pieces: Token[] = [];
    if (at > 0) pieces.push({ type: 'word', text: token.text.slice(0, at), pos: token.pos });
    pieces.push({ type: 'punct', text: ':', pos: token.pos + at });
    if (rest !== '') pieces.push({ type: 'word', text: rest, pos: token.pos + at + 1 });
    this.tokens.splice(this.index, 1, ...pieces);
  }

  // --- parts and traversals ----------------------------------------------------------------------

  private parts(): Part[] {
    const parts: Part[] = [];
    let afterArrow = false;
    for (;;) {
      // After an arrow the term may be left out: `is(user) --> sort name` and `id(4) --> <--` filter nothing there.
      const implied =
        (afterArrow && (this.peek().type === 'arrow' || ((this.isWord('sort') || this.isWord('limit')) && !this.isOperatorAt(this.index + 1)))) || this.atWith();
      const part: Part = { term: implied ? { type: 'all' } : this.or() };
      if (this.atWith()) part.with = this.withClause();
      this.sortAndLimit(part);
      parts.push(part);
      const next = this.peek();
      if (next.type !== 'arrow') {
        if (!this.atEnd()) {
          this.hintSpacedDuration();
          this.fail('expected and, or, with(, sort, limit, a traversal (-->, <--, -[1:2]->), | or the end of the query');
        }
        return parts;
      }
      this.index += 1;
      part.navigation = next.navigation;
      afterArrow = true;
      // A trailing arrow reaches every node in range: `is(user) -->` is `is(user) --> all`.
      if (this.atEnd()) {
        parts.push({ term: { type: 'all' } });
        return parts;
      }
    }
  }

  private atWith(): boolean {
    return this.isWord('with') && this.isPunctAt(this.index + 1, '(');
  }

  /** `with(empty|any|count OP N, <traversal> [term] [with(...)])`, as Fix Inventory writes it. */
  private withClause(): WithClause {
    return this.nested(() => this.withClauseBody());
  }

  private withClauseBody(): WithClause {
    this.index += 2;
    let count: WithClause['count'];
    if (this.isWord('empty') || this.isWord('any')) {
      count = this.next().text === 'empty' ? { op: '=', value: 0 } : { op: '>', value: 0 };
    } else if (this.isWord('count')) {
      this.index += 1;
      const token = this.peek();
      if (token.type !== 'op' || !COUNT_OPERATORS.includes(token.text)) this.fail('expected a comparison after count: =, ==, !=, >, >=, < or <=');
      this.index += 1;
      const op = (token.text === '==' ? '=' : token.text) as CountOperator;
      count = { op, value: this.integer('a number of nodes to compare the count with') };
    } else {
      return this.fail('expected empty, any or count OP N first in with(');
    }
    this.expectPunct(',', 'expected , and a traversal after the count in with(');
    const arrow = this.peek();
    if (arrow.type !== 'arrow') return this.fail('expected a traversal such as -->, <-- or -[1:2]-> in with(');
    this.index += 1;
    const clause: WithClause = { count, navigation: arrow.navigation };
    if (!this.isPunctAt(this.index, ')') && !this.atWith()) clause.term = this.or();
    if (this.atWith()) clause.with = this.withClause();
    this.expectPunct(')', 'expected ) to close with(');
    return clause;
  }

  private sortAndLimit(part: Part): void {
    if (this.isWord('sort')) {
      this.index += 1;
      part.sort = this.sortKeys();
    }
    if (this.isWord('limit')) {
      this.index += 1;
      part.limit = this.limit();
    }
  }

  /** `name asc, age desc`: after `sort`, in a part or as a command. */
  private sortKeys(): SortKey[] {
    const keys: SortKey[] = [];
    do {
      const path = this.path('a property to sort by');
      let order: SortKey['order'] = 'asc';
      if (this.isWord('asc') || this.isWord('desc')) order = this.next().text as SortKey['order'];
      keys.push({ path, order });
    } while (this.acceptPunct(','));
    return keys;
  }

  /** `10` or `5, 10` (skip 5, take 10): after `limit`, in a part or as a command. */
  private limit(): Limit {
    const first = this.integer('a number of results after limit');
    if (this.acceptPunct(',')) return { offset: first, count: this.integer('how many results after the offset') };
    return { offset: 0, count: first };
  }

  // --- terms ---------------------------------------------------------------------------------------

  private or(): Term {
    let left = this.and();
    while (this.isWord('or')) {
      this.index += 1;
      left = { type: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Term {
    let left = this.not();
    while (this.isWord('and')) {
      this.index += 1;
      left = { type: 'and', left, right: this.not() };
    }
    return left;
  }

  private not(): Term {
    if (this.isWord('not') && !this.isOperatorAt(this.index + 1)) {
      return this.nested(() => {
        this.index += 1;
        return { type: 'not', term: this.not() };
      });
    }
    return this.primary();
  }

  private primary(): Term {
    const token = this.peek();
    if (token.type === 'punct' && token.text === '(') {
      return this.nested(() => {
        this.index += 1;
        const term = this.or();
        this.expectPunct(')', 'expected ) to close the group');
        return term;
      });
    }
    this.terms += 1;
    if (this.terms > MAX_TERMS) this.fail(`the query has more than ${MAX_TERMS} terms; list values instead (name in [a, b], id(x, y)) or split it`);
    if (token.type === 'string') {
      this.index += 1;
      return { type: 'fulltext', text: token.text };
    }
    if (token.type !== 'word') return this.fail(`expected ${TERM_START}`);
    const call = this.isPunctAt(this.index + 1, '(');
    if (token.text === 'all' && !this.isOperatorAt(this.index + 1) && !this.isModifierAt(this.index + 1)) {
      this.index += 1;
      return { type: 'all' };
    }
    if (call && token.text === 'is') return { type: 'is', kinds: this.kinds() };
    if (call && token.text === 'id') return { type: 'id', ids: this.functionArguments('id', 'an id') };
    if (call && token.text === 'has_key') return this.hasKey();
    return this.predicate();
  }

  private kinds(): string[] {
    this.index += 2;
    const kinds = this.names('a kind', (name, token) => {
      if (!ALL_KIND_NAMES.includes(name)) {
        this.fail(`unknown kind ${JSON.stringify(name)}; kinds: ${ALL_KIND_NAMES.join(', ')}`, token);
      }
    });
    this.expectPunct(')', 'expected , or ) after the kinds');
    return kinds;
  }

  private functionArguments(name: string, what: string): string[] {
    this.index += 2;
    const values = this.names(what, () => undefined);
    this.expectPunct(')', `expected , or ) to close ${name}(`);
    return values;
  }

  /** `a, b`, or `[a, b]`: words or strings. */
  private names(what: string, check: (name: string, token: Token) => void): string[] {
    const bracketed = this.acceptPunct('[');
    const names: string[] = [];
    do {
      const token = this.peek();
      if (token.type !== 'word' && token.type !== 'string') this.fail(`expected ${what}`);
      this.index += 1;
      check(token.text, token);
      names.push(token.text);
    } while (this.acceptPunct(','));
    if (bracketed) this.expectPunct(']', 'expected , or ] to close the list');
    return names;
  }

  private hasKey(): Term {
    this.index += 2;
    const path = this.path('a path (has_key(tags, "owner"))');
    this.expectPunct(',', 'expected , and the key after the path');
    const keys = this.names('a key', () => undefined);
    this.expectPunct(')', 'expected ) to close has_key(');
    return { type: 'has_key', path, keys };
  }

  private predicate(): Term {
    const path = this.path(TERM_START);
    let modifier: ArrayModifier | undefined;
    if (this.isModifierAt(this.index)) modifier = this.next().text as ArrayModifier;
    const opToken = this.peek();
    const op = this.operator();
    const valueToken = this.peek();
    const value = this.value();
    this.checkValue(path, op, value, valueToken, opToken);
    if (isDurationPath(path) && typeof value === 'number') this.bareSeconds.push({ token: valueToken, path });
    return { type: 'predicate', path, op, value, ...(modifier ? { modifier } : {}) };
  }

  private operator(): Operator {
    const token = this.peek();
    if (token.type === 'op') {
      this.index += 1;
      return token.text === '==' ? '=' : token.text === '=~' ? '~' : (token.text as Operator);
    }
    if (this.isWord('in')) {
      this.index += 1;
      return 'in';
    }
    if (this.isWord('not') && this.isWordAt(this.index + 1, 'in')) {
      this.index += 2;
      return 'not in';
    }
    return this.fail('expected an operator: =, !=, >, >=, <, <=, ~, !~, in or not in');
  }

  /** Catches at parse time what would otherwise silently match nothing. */
  private checkValue(path: Path, op: Operator, value: Value, token: Token, opToken: Token): void {
    const list = Array.isArray(value);
    if ((op === 'in' || op === 'not in') && !list) this.fail(`expected a list such as [a, b] after ${op}`, token);
    if (['>', '>=', '<', '<=', '~', '!~'].includes(op) && list) this.fail(`expected a single value after ${op}, not a list`, token);
    if (op === '~' || op === '!~') {
      if (typeof value !== 'string') this.fail(`expected a regular expression (a string) after ${opToken.text}`, token);
      const compiled = compilePattern(value);
      if ('problem' in compiled) throw new ParseError(compiled.problem, this.text, sourceColumn(this.text, token, compiled.offset));
      return;
    }
    if (isDurationPath(path)) {
      for (const item of list ? (value) : [value]) {
        if (item === null || typeof item === 'number' || (typeof item === 'string' && parseDuration(item) !== undefined)) continue;
        this.fail(`expected a duration such as 90days, 1h30m, -2w or P90D, got ${JSON.stringify(item)}`, token);
      }
    }
  }

  private value(): Value {
    const token = this.peek();
    if (token.type === 'string') {
      this.index += 1;
      return token.text;
    }
    if (token.type === 'word') {
      this.index += 1;
      if (token.text === 'true') return true;
      if (token.text === 'false') return false;
      if (token.text === 'null') return null;
      if (NUMBER.test(token.text)) {
        const number = Number(token.text);
        // JSON has no Infinity: a number too large to hold would print and re-parse as something else.
        if (!Number.isFinite(number)) this.fail(`number ${token.text} is out of range`, token);
        return number;
      }
      return token.text;
    }
    if (token.type === 'punct' && token.text === '[') {
      return this.nested(() => {
        this.index += 1;
        const items: Value[] = [];
        if (this.acceptPunct(']')) return items;
        do items.push(this.value());
        while (this.acceptPunct(','));
        this.expectPunct(']', 'expected , or ] to close the list');
        return items;
      });
    }
    return this.fail('expected a value: a word, a "string", a number, true, false, null or a [list]');
  }

  private path(what: string): Path {
    const token = this.peek();
    if (token.type !== 'word') return this.fail(`expected ${what}`);
    const path = readPath(token.text);
    if ('problem' in path) {
      const problem = path.offset === 0 && !token.text.startsWith('/') ? `expected ${what}` : path.problem;
      return this.fail(problem, token, path.offset);
    }
    this.index += 1;
    this.pathTokens.set(path, token);
    return path;
  }

  private integer(what: string): number {
    const token = this.peek();
    if (token.type !== 'word' || !/^\d+$/.test(token.text)) return this.fail(`expected ${what}`);
    this.index += 1;
    return Number(token.text);
  }

  // --- commands ------------------------------------------------------------------------------------

  private commands(): Command[] {
    const commands: Command[] = [];
    while (this.acceptPunct('|')) {
      const previous = commands[commands.length - 1];
      if (previous && PRINTING_COMMANDS.includes(previous.name)) {
        this.fail(`${previous.name} prints the result: it must be the last command`, this.tokens[this.index - 1]);
      }
      commands.push(this.command());
      const end = this.peek();
      if (!(end.type === 'eof' || (end.type === 'punct' && end.text === '|'))) {
        this.fail(`unexpected ${describe(end)} after the ${commands[commands.length - 1]?.name} command`);
      }
    }
    return commands;
  }

  private command(): Command {
    const token = this.peek();
    if (token.type !== 'word') return this.fail(`expected a command: ${COMMAND_NAMES.join(', ')}`);
    const name = token.text as CommandName;
    if (!COMMAND_NAMES.includes(name)) {
      return this.fail(`unknown command ${JSON.stringify(token.text)}; commands: ${COMMAND_NAMES.join(', ')}`);
    }
    this.index += 1;
    switch (name) {
      case 'count':
        return this.atCommandEnd() ? { name } : { name, path: this.path('a property to count by, such as name') };
      case 'list':
        return this.list();
      case 'head':
      case 'tail':
        return { name, count: this.rows(name) };
      case 'clean':
      case 'unclean': {
        const reason = this.reason();
        return reason === undefined ? { name } : { name, reason };
      }
      case 'sort':
        return { name, keys: this.sortKeys() };
      case 'limit':
        return { name, limit: this.limit() };
      case 'ancestors':
      case 'descendants':
      case 'predecessors':
      case 'successors':
        return this.traversalCommand(name);
      case 'aggregate':
        return this.aggregateSpec();
      case 'protect':
        return this.protectTerms();
      default:
        return { name };
    }
  }

  private list(): Command {
    const columns: Column[] = [];
    let format: 'table' | 'csv' | 'json' = 'table';
    while (!this.atCommandEnd()) {
      if (this.isWord('--csv') || this.isWord('--json')) {
        format = this.next().text.slice(2) as 'csv' | 'json';
        continue;
      }
      if (columns.length > 0) this.expectPunct(',', 'expected , between the columns, --csv or --json');
      const path = this.path('a property to list, --csv or --json');
      const name = this.alias();
      columns.push(name === undefined ? { path } : { path, name });
    }
    return { name: 'list', columns, format };
  }

  /** `protect [--until DATE] [--reason TEXT]`, in either order, each at most once. */
  private protectTerms(): Command {
    const command: { name: 'protect'; until?: string; reason?: string } = { name: 'protect' };
    while (!this.atCommandEnd()) {
      const flag = this.peek();
      if (this.isWord('--until') && command.until === undefined) {
        this.index += 1;
        const token = this.peek();
        const until = token.type === 'word' || token.type === 'string' ? normaliseUntil(token.text) : undefined;
        if (until === undefined) this.fail('expected a date or date-time after --until, such as 2027-03-31 or 2027-03-31T12:00:00Z');
        this.index += 1;
        command.until = until;
      } else if (this.isWord('--reason') && command.reason === undefined) {
        this.index += 1;
        const token = this.peek();
        if (!(token.type === 'word' || token.type === 'string') || token.text.trim() === '') this.fail('expected the reason after --reason, quoted when it has spaces: --reason "vendor migration"');
        this.index += 1;
        command.reason = token.text;
      } else {
        this.fail(`expected --until DATE or --reason TEXT after protect, each at most once`, flag);
      }
    }
    return command;
  }

  /** `[--with-origin] [edge_type] [kind]`, in any order: Fix Inventory's arguments, and a kind to keep. */
  private traversalCommand(name: TraversalCommandName): TraversalCommand {
    const command: TraversalCommand = { name, withOrigin: false };
    let edgeType = false;
    while (!this.atCommandEnd()) {
      const token = this.peek();
      const text = token.type === 'word' || token.type === 'string' ? token.text : '';
      if (text === '--with-origin' && !command.withOrigin) command.withOrigin = true;
      else if (EDGE_TYPES.includes(text) && !edgeType) edgeType = true;
      else if (ALL_KIND_NAMES.includes(text) && command.kind === undefined) command.kind = text;
      else {
        this.fail(`expected --with-origin, the edge type (${EDGE_TYPES.join(', ')}) or a kind (${ALL_KIND_NAMES.join(', ')}) after ${name}, each at most once`);
      }
      this.index += 1;
    }
    return command;
  }

  private rows(name: string): number {
    if (this.atCommandEnd()) return DEFAULT_ROWS;
    const token = this.peek();
    // `head -5` is how Fix Inventory (and the shell) write it.
    if (token.type !== 'word' || !/^-?\d+$/.test(token.text)) return this.fail(`expected how many results ${name} keeps`);
    this.index += 1;
    return Math.abs(Number(token.text));
  }

  /** The rest of the command: one quoted string, or the words as written. */
  private reason(): string | undefined {
    if (this.atCommandEnd()) return undefined;
    const first = this.peek();
    if (first.type === 'string' && this.isCommandEndAt(this.index + 1)) {
      this.index += 1;
      return first.text;
    }
    while (!this.atCommandEnd()) this.index += 1;
    const end = this.peek().pos;
    return this.text.slice(first.pos, end).trim();
  }

  /** One more level of groups, not, lists or with clauses; refused past MAX_NESTING at the token that opens it. */
  private nested<T>(read: () => T): T {
    if (this.depth >= MAX_NESTING) this.fail(`the query nests deeper than ${MAX_NESTING} levels (groups, not, lists and with clauses); simplify it`);
    this.depth += 1;
    try {
      return read();
    } finally {
      this.depth -= 1;
    }
  }

  // --- token helpers -------------------------------------------------------------------------------

  private peek(): Token {
    return this.tokens[this.index] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  private next(): Token {
    const token = this.peek();
    this.index += 1;
    return token;
  }

  private atEnd(): boolean {
    const token = this.peek();
    return token.type === 'eof' || (token.type === 'punct' && token.text === '|');
  }

  private atCommandEnd(): boolean {
    return this.isCommandEndAt(this.index);
  }

  private isCommandEndAt(index: number): boolean {
    const token = this.tokens[index];
    return !token || token.type === 'eof' || (token.type === 'punct' && token.text === '|');
  }

  private isWord(text: string): boolean {
    return this.isWordAt(this.index, text);
  }

  private isWordAt(index: number, text: string): boolean {
    const token = this.tokens[index];
    return token?.type === 'word' && token.text === text;
  }

  private isPunctAt(index: number, text: string): boolean {
    const token = this.tokens[index];
    return token?.type === 'punct' && token.text === text;
  }

  private isOperatorAt(index: number): boolean {
    const token = this.tokens[index];
    if (!token) return false;
    return token.type === 'op' || (token.type === 'word' && (token.text === 'in' || (token.text === 'not' && this.isWordAt(index + 1, 'in'))));
  }

  private isModifierAt(index: number): boolean {
    const token = this.tokens[index];
    return token?.type === 'word' && MODIFIERS.includes(token.text) && this.isOperatorAt(index + 1);
  }

  private acceptPunct(text: string): boolean {
    if (!this.isPunctAt(this.index, text)) return false;
    this.index += 1;
    return true;
  }

  private expectPunct(text: string, problem: string): void {
    if (!this.acceptPunct(text)) this.fail(`${problem}, got ${describe(this.peek())}`);
  }

  /** `90 days`: a number, then a word that would make it a duration. Says to join them. */
  private hintSpacedDuration(): void {
    const number = this.tokens[this.index - 1];
    const unit = this.peek();
    if (number?.type !== 'word' || !NUMBER.test(number.text) || unit.type !== 'word' || !/^[A-Za-z]+$/.test(unit.text)) return;
    if (parseDuration(`${number.text}${unit.text}`) === undefined) return;
    this.fail(`"${number.text} ${unit.text}" reads as the number ${number.text} and then the word ${unit.text}: a duration is written without a space, ${number.text}${unit.text}`, number);
  }

  private fail(problem: string, token: Token = this.peek(), offset = 0): never {
    const got = token === this.peek() && offset === 0 && problem.startsWith('expected') && !problem.includes(', got ') ? `, got ${describe(token)}` : '';
    throw new ParseError(`${problem}${got}`, this.text, token.pos + offset + 1);
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'eof':
      return 'the end of the query';
    case 'string':
      return JSON.stringify(token.text);
    default:
      return `"${token.text}"`;
  }
}
