import { Document, isMap, isNode, isScalar, LineCounter, parseDocument, Scalar, YAMLMap } from 'yaml';
import { ValidationError } from '../errors';
import type { FixWorkerConfig } from './fix-worker';
import { FIX_WORKER_SCHEMA, validateFixWorkerConfig } from './schema';

/**
 * `fix.worker` as YAML, the way `config get` prints it and `config edit` opens it: the seed's
 * layout, each key with a comment saying what it does. Comments in what the user writes are allowed.
 */
export function renderFixWorkerYaml(config: FixWorkerConfig): string {
  const doc = new Document(config);
  for (const [section, rules] of Object.entries(FIX_WORKER_SCHEMA)) {
    const map = doc.get(section, true);
    if (!isMap(map)) continue;
    for (const pair of (map as YAMLMap).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const rule = rules[key];
      if (rule && isNode(pair.key)) pair.key.commentBefore = ` ${capitalize(rule.comment)}`;
      // Quoted so an id with a leading zero survives the next edit.
      if (key === 'accounts' && isNode(pair.value) && 'items' in pair.value) {
        for (const item of (pair.value as { items: unknown[] }).items) if (isScalar(item)) item.type = Scalar.QUOTE_DOUBLE;
      }
    }
  }
  return doc.toString({ indent: 2 });
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
      return `  ${at ? `line ${at.line + lineOffset}, column ${at.col}: ` : ''}${error.message.split('\n')[0]}`;
    });
    throw new ValidationError(`${source} is not valid YAML:\n${lines.join('\n')}`);
  }
  const locate = (path: readonly string[]): string | undefined => {
    const node = doc.getIn(path, true);
    const keyNode = findKeyNode(doc, path);
    const range = (keyNode ?? node) as { range?: [number, number, number] } | undefined;
    const offset = range?.range?.[0];
    return offset === undefined ? undefined : `line ${lineCounter.linePos(offset).line + lineOffset}`;
  };
  return validateFixWorkerConfig(doc.toJS(), source, locate);
}

function findKeyNode(doc: Document, path: readonly string[]): unknown {
  const parentPath = path.slice(0, -1);
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (!isMap(parent)) return undefined;
  const last = path[path.length - 1];
  return parent.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === last)?.key;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
