import type { InventoryGraph } from '../inventory/graph';
import { InventoryNode, kindIsA, KINDS, Kind } from '../inventory/model';
import type { Path } from './ast';
import type { Deadline } from './deadline';
import { timestampOf as parseTimestamp } from './durations';
import { DEFAULT_OWNER_TAGS, OwnerSettings, ownerOf } from '../owners/owner';

/** What evaluation reads besides the nodes: the graph for ancestors, and now, for synthetic ages. */
export interface EvaluationContext {
  graph: InventoryGraph;
  /** Epoch milliseconds. */
  now: number;
  /** The time limit the evaluation stops at, if it has one. */
  deadline?: Deadline;
  /** fix.worker's notify settings for `owner`; without them, the default owner tags alone. */
  owners?: OwnerSettings;
}

/**
 * Reads one property of a node: undefined when it is missing. Evaluation passes the node's
 * ordinal too, so ancestors and parsed timestamps are found without hashing the id.
 */
export type PropertyReader = (node: InventoryNode, ordinal?: number) => unknown;

/**
 * Compiles a path into a reader once per query, so that scanning 300,000 nodes costs a property
 * lookup each, not a path walk. Synthetic `age`, `last_access`, `last_update` are milliseconds.
 */
export function propertyReader(path: Path, context: EvaluationContext): PropertyReader {
  if (path.type === 'account') return (node, ordinal) => accountOf(node, context.graph, ordinal)?.reported.name;
  const own = sectionReader(path.section, path.keys, context);
  if (path.ancestor === undefined) return own;
  const base = ancestorFinder(path.ancestor, context.graph);
  const { graph } = context;
  return (node, ordinal = graph.ordinalOf(node.id)) => {
    const found = ordinal < 0 ? -1 : base.fromOrdinal(ordinal);
    return found < 0 ? undefined : own(graph.nodeAt(found) as InventoryNode, found);
  };
}

function sectionReader(section: 'reported' | 'metadata' | 'desired', keys: readonly string[], context: EvaluationContext): PropertyReader {
  if (section === 'reported' && keys.length === 1) {
    switch (keys[0]) {
      case 'kind':
        return (node) => node.kind;
      case 'owner':
        return ownerReader(context);
      case 'age':
      case 'last_access':
      case 'last_update': {
        const at = timestampReader(keys[0], context);
        const { now } = context;
        return (node, ordinal) => since(now, at(node, ordinal));
      }
    }
  }
  if (keys.length === 0) return (node) => node[section];
  if (keys.length === 1) {
    const key = keys[0] as string;
    return (node) => {
      const object = node[section] as Record<string, unknown>;
      return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
    };
  }
  return (node) => walk(node[section], keys);
}

const NO_CONTACTS: OwnerSettings = { owner_tags: DEFAULT_OWNER_TAGS, account_contacts: {}, central_contact: '' };

/** A user's owner from its own tags, a key's from its user's, an account's from its contact; undefined when nobody answers. */
function ownerReader(context: EvaluationContext): PropertyReader {
  const settings = context.owners ?? NO_CONTACTS;
  const userOf = ancestorFinder('aws_iam_user', context.graph);
  return (node) => {
    const user = node.kind === 'aws_iam_user' ? node : node.kind === 'aws_iam_access_key' ? userOf(node) : undefined;
    const account = context.graph.accountOf(node.id);
    const tags = user?.reported.tags;
    return ownerOf(
      {
        tags: typeof tags === 'object' && tags !== null ? (tags as Record<string, unknown>) : undefined,
        accountId: account?.id,
        accountName: typeof account?.reported.name === 'string' ? account.reported.name : undefined,
      },
      settings,
    ).address;
  };
}

function walk(start: unknown, keys: readonly string[]): unknown {
  let value = start;
  for (const key of keys) {
    if (Array.isArray(value) && /^\d+$/.test(key)) value = value[Number(key)];
    else if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, key)) {
      value = (value as Record<string, unknown>)[key];
    } else return undefined;
  }
  return value;
}

export type TimedProperty = 'age' | 'last_access' | 'last_update';

/** The timestamp each synthetic duration counts from: creation, last use, last change. */
const TIMESTAMPS: Record<TimedProperty, (reported: Record<string, unknown>) => unknown> = {
  age: (reported) => reported.ctime,
  last_access: (reported) => reported.atime ?? reported.ctime,
  last_update: (reported) => reported.mtime ?? reported.ctime,
};

/**
 * Epoch milliseconds a synthetic duration counts from (NaN when there is none), each node's
 * timestamp parsed once while the graph's nodes stay as they are (InventoryGraph.ordinalCache)
 * when its ordinal is known.
 */
export function timestampReader(name: TimedProperty, context: EvaluationContext): (node: InventoryNode, ordinal?: number) => number {
  const timeOf = TIMESTAMPS[name];
  let parsed: Float64Array | undefined;
  return (node, ordinal) => {
    if (ordinal === undefined || ordinal < 0) return timestampOf(timeOf(node.reported));
    parsed ??= context.graph.ordinalCache(`timestamp:${name}`);
    let at = parsed[ordinal] as number;
    // 0 marks "not parsed yet"; 1970-01-01T00:00:00Z itself is just parsed every time.
    if (at === 0) {
      at = timestampOf(timeOf(node.reported));
      parsed[ordinal] = at;
    }
    return at;
  };
}

function timestampOf(time: unknown): number {
  return typeof time === 'string' ? parseTimestamp(time) : NaN;
}

function since(now: number, at: number): number | undefined {
  return Number.isNaN(at) ? undefined : now - at;
}

/** The nearest node of a kind found through inbound edges, from a node or from its ordinal. */
export interface AncestorFinder {
  (node: InventoryNode): InventoryNode | undefined;
  /** The ancestor's ordinal from the node's; -1 when there is none. */
  fromOrdinal(ordinal: number): number;
}

/**
 * Finds the nearest node of a kind (or a kind it is, like `user`) through inbound edges. The
 * account of an account is the account itself, as Fix Inventory fills `/ancestors.account` and
 * as the `account` shorthand reads it; other kinds start at the parent.
 */
export function ancestorFinder(kindName: string, graph: InventoryGraph): AncestorFinder {
  const kinds = new Set<string>((Object.keys(KINDS) as Kind[]).filter((kind) => kindIsA(kind, kindName)));
  const wanted = (kind: string): boolean => kinds.has(kind);
  const self = kinds.size === 1 && kinds.has('aws_account') ? 'aws_account' : undefined;
  const nearest = graph.ancestorLookup(wanted);
  const fromOrdinal = (ordinal: number): number => (self !== undefined && graph.kindAt(ordinal) === self ? ordinal : nearest(ordinal));
  const finder = (node: InventoryNode): InventoryNode | undefined => {
    const ordinal = graph.ordinalOf(node.id);
    const found = ordinal < 0 ? -1 : fromOrdinal(ordinal);
    return found < 0 ? undefined : graph.nodeAt(found);
  };
  return Object.assign(finder, { fromOrdinal });
}

/** The account a node belongs to: itself for an account. */
export function accountOf(node: InventoryNode, graph: InventoryGraph, ordinal?: number): InventoryNode | undefined {
  if (node.kind === 'aws_account') return node;
  const finder = findAccount(graph);
  if (ordinal === undefined) return finder(node);
  const found = ordinal < 0 ? -1 : finder.fromOrdinal(ordinal);
  return found < 0 ? undefined : graph.nodeAt(found);
}

const accountFinders = new WeakMap<InventoryGraph, AncestorFinder>();

function findAccount(graph: InventoryGraph): AncestorFinder {
  let finder = accountFinders.get(graph);
  if (!finder) {
    finder = ancestorFinder('aws_account', graph);
    accountFinders.set(graph, finder);
  }
  return finder;
}
