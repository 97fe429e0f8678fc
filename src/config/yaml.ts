import { isDeepStrictEqual } from 'node:util';
import { Document, isMap, isNode, isScalar, LineCounter, Pair, parseDocument, Scalar, visit, YAMLMap } from 'yaml';
import { ValidationError } from '../errors';
import { ACCOUNTS_COMMENT, ACCOUNTS_SECTION, Field, FIX_WORKER, FIX_WORKER_FIELDS, FixWorkerConfig } from './fix-worker';
import { validateFixWorkerConfig } from './schema';

/**
 * `fix.worker` as YAML, the way `config get` prints it and `config edit` opens it. Given the text
 * the config was last saved as (`previous`), that text is kept, the user's comments and layout
 * included: only values that differ are replaced (keeping a comment on their line) and keys it
 * lacks are added. Without it, the seed's layout. A key added here comes with a comment saying
 * what it does.
 */
export function renderFixWorkerYaml(config: FixWorkerConfig, previous?: string): string {
  const doc = previousDocument(previous) ?? new Document({});
  const values = config as unknown as Record<string, Record<string, unknown>>;
  for (const [section, fields] of Object.entries(FIX_WORKER_FIELDS)) {
    for (const [key, field] of Object.entries<Field>(fields)) {
      const path = [section, key];
      const value = values[section]?.[key];
      const existing = doc.getIn(path, true);
      if (existing !== undefined) {
        if (isDeepStrictEqual(isNode(existing) ? existing.toJS(doc) : existing, value)) continue;
        if (isScalar(existing) && !Array.isArray(value)) {
          existing.value = value;
          continue;
        }
      }
      const node = doc.createNode(value);
      // Quoted so an id with a leading zero survives the next edit.
      if (key === 'accounts' && 'items' in node) for (const item of (node as { items: unknown[] }).items) if (isScalar(item)) item.type = Scalar.QUOTE_DOUBLE;
      const pair = pairAt(doc, path);
      if (pair) {
        if (isNode(existing)) node.comment = existing.comment;
        pair.value = node;
      } else {
        const added = doc.createPair(key, node);
        if (isNode(added.key)) added.key.commentBefore = ` ${capitalize(field.comment)}`;
        sectionOf(doc, section).items.push(added);
      }
    }
  }
  renderAccounts(doc, config.accounts);
  return doc.toString({ indent: 2 });
}

/** The `accounts` overrides: kept as written while they say the same, else written afresh (ids quoted). */
function renderAccounts(doc: Document, accounts: FixWorkerConfig['accounts']): void {
  const existing = doc.get(ACCOUNTS_SECTION, true);
  if (existing !== undefined && isDeepStrictEqual(isNode(existing) ? existing.toJS(doc) ?? {} : existing, accounts)) return;
  if (existing === undefined && Object.keys(accounts).length === 0) return;
  const node = doc.createNode(accounts);
  const pair = pairAt(doc, [ACCOUNTS_SECTION]);
  if (pair) {
    if (isNode(existing)) node.comment = existing.comment;
    pair.value = node;
    return;
  }
  const added = doc.createPair(ACCOUNTS_SECTION, node);
  if (isNode(added.key)) added.key.commentBefore = ` ${capitalize(ACCOUNTS_COMMENT)}`;
  (doc.contents as YAMLMap).items.push(added);
}

function sectionOf(doc: Document, section: string): YAMLMap {
  const map = doc.get(section, true);
  if (isMap(map)) return map;
  const created = new YAMLMap();
  doc.set(section, created);
  return created;
}

/** The text a config was saved as, if it still reads as a mapping (it was valid when saved). */
function previousDocument(previous: string | undefined): Document | undefined {
  if (previous === undefined) return undefined;
  const doc = parseDocument(previous, { uniqueKeys: true });
  return doc.errors.length === 0 && isMap(doc.contents) && firstAlias(doc) === undefined ? doc : undefined;
}

/**
 * Where the document's first alias (`*name`) starts, if it has one. fix.worker is a dozen plain
 * values: an alias there only ever serves to make the text expand (billion laughs) or loop.
 */
function firstAlias(doc: Document): number | undefined {
  let at: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      at = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return at;
}

/**
 * Parses and validates YAML text; errors name the key and its line in `source`. `lineOffset`
 * shifts the lines for a text that will be shown below that many lines of notes.
 */
export function parseFixWorkerYaml(text: string, source: string, lineOffset = 0): FixWorkerConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((error) => {
      const at = error.pos[0] !== undefined ? lineCounter.linePos(error.pos[0]) : undefined;
      return `  ${at ? `line ${at.line + lineOffset}, column ${at.col}: ` : ''}${yamlProblem(error.code, error.message, text.slice(error.pos[0]))}`;
    });
    throw new ValidationError(`${source} is not valid YAML:\n${lines.join('\n')}`);
  }
  const alias = firstAlias(doc);
  if (alias !== undefined) {
    const at = lineCounter.linePos(alias);
    throw new ValidationError(`${source} is not valid ${FIX_WORKER}:\n  line ${at.line + lineOffset}, column ${at.col}: aliases (*name) are not allowed here; write the value out`);
  }
  const locate = (path: readonly string[]): string | undefined => {
    const node = doc.getIn(path, true);
    const keyNode = pairAt(doc, path)?.key;
    const range = (keyNode ?? node) as { range?: [number, number, number] } | undefined;
    const offset = range?.range?.[0];
    return offset === undefined ? undefined : `line ${lineCounter.linePos(offset).line + lineOffset}`;
  };
  return validateFixWorkerConfig(doc.toJS(), source, locate);
}

/** The parser's complaint in the words of someone editing fix.worker, for the few it phrases for programmers. */
function yamlProblem(code: string, message: string, from: string): string {
  switch (code) {
    case 'DUPLICATE_KEY': {
      const key = /^[^\s:]+/.exec(from)?.[0];
      return `${key === undefined ? 'a key' : `the key ${key}`} appears twice in one mapping; keep one`;
    }
    case 'MULTIPLE_DOCS':
      return `a second YAML document starts here; ${FIX_WORKER} is one document`;
    case 'RESOURCE_EXHAUSTION':
      return 'the values nest too deeply to read';
    default:
      return message.split('\n')[0] as string;
  }
}

/** The key: value pair at `path` in the document, if its parent is a mapping. */
function pairAt(doc: Document, path: readonly string[]): Pair | undefined {
  const parentPath = path.slice(0, -1);
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (!isMap(parent)) return undefined;
  const last = path[path.length - 1];
  return parent.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === last);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
