import { ALL_KIND_NAMES } from '../inventory/model';
import type { Path, Section } from './ast';

/** What a path may start with after `/`, and what `/ancestors.<kind>.` may continue with. */
export const SECTIONS: readonly Section[] = ['reported', 'metadata', 'desired'];
export const ABSOLUTE_SECTIONS: readonly string[] = [...SECTIONS, 'ancestors'];

/**
 * Properties computed at query time: `age`, `last_access` and `last_update` are durations up to
 * now (SPEC section 2); `kind` is the node's kind, so `count kind` and `sort kind` work; `owner`
 * is the address told about a user or key (docs/owners.md).
 */
export const DURATION_PROPERTIES: readonly string[] = ['age', 'last_access', 'last_update'];
export const SYNTHETIC_PROPERTIES: readonly string[] = [...DURATION_PROPERTIES, 'kind', 'owner'];

/** Why a path is not one, with the 0-based offset inside the word that is wrong. */
export interface PathProblem {
  problem: string;
  offset: number;
}

/** Reads `name`, `tags.owner`, `/metadata.protected`, `/ancestors.user.reported.name`, `account`. */
export function readPath(word: string): Path | PathProblem {
  if (!word.startsWith('/')) {
    if (word === 'account') return { type: 'account' };
    if (!/^[A-Za-z_]/.test(word)) return { problem: 'expected a property name', offset: 0 };
    const keys = splitKeys(word, 0);
    return 'problem' in keys ? keys : { type: 'property', section: 'reported', keys: keys.keys };
  }
  const segments = word.slice(1).split('.');
  const [first = '', second = '', third = ''] = segments;
  if (first === 'ancestors') {
    const kindAt = 1 + first.length + 1;
    if (!ALL_KIND_NAMES.includes(second)) {
      return { problem: `unknown ancestor kind ${JSON.stringify(second)}; kinds: ${ALL_KIND_NAMES.join(', ')}`, offset: Math.min(kindAt, word.length) };
    }
    const sectionAt = kindAt + second.length + 1;
    if (!(SECTIONS as readonly string[]).includes(third)) {
      return { problem: `unknown section ${JSON.stringify(third)} after /ancestors.${second}; sections: ${SECTIONS.join(', ')}`, offset: Math.min(sectionAt, word.length) };
    }
    const keys = splitKeys(segments.slice(3).join('.'), sectionAt + third.length + 1);
    if ('problem' in keys) return keys;
    return { type: 'property', ancestor: second, section: third as Section, keys: keys.keys };
  }
  if (!(SECTIONS as readonly string[]).includes(first)) {
    return { problem: `unknown section ${JSON.stringify(first)}; sections: ${ABSOLUTE_SECTIONS.join(', ')}`, offset: 1 };
  }
  const keys = splitKeys(segments.slice(1).join('.'), 1 + first.length + 1);
  if ('problem' in keys) return keys;
  return { type: 'property', section: first as Section, keys: keys.keys };
}

function splitKeys(text: string, offset: number): { keys: string[] } | PathProblem {
  if (text === '') return { keys: [] };
  const keys = text.split('.');
  let at = offset;
  for (const key of keys) {
    if (key === '' || key.includes('/')) return { problem: 'expected a property name', offset: at };
    at += key.length + 1;
  }
  return { keys };
}

/** Keywords that would be read as something else if a path were printed bare. */
const RESERVED = new Set(['account', 'all', 'and', 'or', 'not', 'in', 'sort', 'limit', 'is', 'id', 'has_key', 'any', 'none', 'search', 'asc', 'desc', 'as', 'true', 'false', 'null']);

/** The shortest text that reads back as this path: `name`, `/metadata.protected`, `account`. */
export function formatPath(path: Path): string {
  if (path.type === 'account') return 'account';
  const keys = path.keys.join('.');
  if (path.ancestor !== undefined) return `/ancestors.${path.ancestor}.${path.section}${keys ? `.${keys}` : ''}`;
  const first = path.keys[0];
  if (path.section === 'reported' && first !== undefined && !RESERVED.has(first) && /^[A-Za-z_]/.test(first)) return keys;
  return `/${path.section}${keys ? `.${keys}` : ''}`;
}

/** True for `age`, `last_access`, `last_update` (on the node or an ancestor): compared as durations. */
export function isDurationPath(path: Path): boolean {
  return path.type === 'property' && path.section === 'reported' && path.keys.length === 1 && DURATION_PROPERTIES.includes(path.keys[0] as string);
}
