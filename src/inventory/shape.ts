import { ValidationError } from '../errors';
import type { InventoryGraph } from './graph';
import { FieldType, FieldTypes, Kind, REPORTED_FIELDS } from './model';

/**
 * The shape an inventory must have to be searched, checked when a snapshot file or the stored
 * inventory is loaded: reported fields of the model's types, values nested at most
 * MAX_VALUE_DEPTH deep, and the tree account --> user --> access_key (every user under one
 * account, every key under one user, nothing else), so no walk can meet a cycle.
 */
export const MAX_VALUE_DEPTH = 8;

/** Why a node's reported fields are not what its kind reports; undefined when they are. */
export function reportedProblem(kind: Kind, reported: Record<string, unknown>): string | undefined {
  // Every node of every load passes here: a check without allocations first, the message only on failure.
  if (REPORTED_OK[kind](reported) && withinDepth(reported, 1)) return undefined;
  return fieldsProblem(REPORTED_FIELDS[kind], reported, 'reported') ?? depthProblem(reported, 'reported', 1);
}

type Check = (value: unknown) => boolean;

/** The model's field types as predicates, built once: the fast path of reportedProblem. */
function fieldsCheck(fields: FieldTypes): (values: Record<string, unknown>) => boolean {
  const checks = Object.entries(fields).map(([key, type]) => [key, typeCheck(type)] as const);
  return (values) => {
    for (const [key, check] of checks) {
      if (Object.prototype.hasOwnProperty.call(values, key) && !check(values[key])) return false;
    }
    return true;
  };
}

function typeCheck(type: FieldType): Check {
  if (typeof type === 'object') {
    const fields = fieldsCheck(type);
    return (value) => value === null || (isObject(value) && fields(value));
  }
  const nullable = type.endsWith('?');
  const base = BASE_CHECKS[type.replace('?', '')] ?? (() => true);
  return nullable ? (value) => value === null || base(value) : base;
}

/** The form collect writes, about four times faster to test than Date.parse; other forms go to Date.parse. */
const UTC_DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$/;

const BASE_CHECKS: Readonly<Record<string, Check>> = {
  string: (value) => typeof value === 'string',
  boolean: (value) => typeof value === 'boolean',
  datetime: (value) => typeof value === 'string' && (UTC_DATE_TIME.test(value) || !Number.isNaN(Date.parse(value))),
  tags: isObject,
};

const REPORTED_OK: Readonly<Record<Kind, (values: Record<string, unknown>) => boolean>> = {
  aws_account: fieldsCheck(REPORTED_FIELDS.aws_account),
  aws_iam_user: fieldsCheck(REPORTED_FIELDS.aws_iam_user),
  aws_iam_access_key: fieldsCheck(REPORTED_FIELDS.aws_iam_access_key),
};

function withinDepth(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth > MAX_VALUE_DEPTH) return false;
  for (const key in value) if (!withinDepth((value as Record<string, unknown>)[key], depth + 1)) return false;
  return true;
}

function fieldsProblem(fields: FieldTypes, values: Record<string, unknown>, where: string): string | undefined {
  for (const [key, type] of Object.entries(fields)) {
    if (!Object.prototype.hasOwnProperty.call(values, key)) continue;
    const problem = typeProblem(type, values[key], `${where}.${key}`);
    if (problem) return problem;
  }
  return undefined;
}

function typeProblem(type: FieldType, value: unknown, where: string): string | undefined {
  if (typeof type === 'object') {
    if (value === null) return undefined;
    return isObject(value) ? fieldsProblem(type, value, where) : `${where}: expected an object, got ${JSON.stringify(value)}`;
  }
  if (value === null && type.endsWith('?')) return undefined;
  switch (type.replace('?', '')) {
    case 'string':
      return typeof value === 'string' ? undefined : `${where}: expected a string, got ${JSON.stringify(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${where}: expected true or false, got ${JSON.stringify(value)}`;
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : `${where}: expected an ISO 8601 date-time, got ${JSON.stringify(value)}`;
    case 'tags':
      return isObject(value) ? undefined : `${where}: expected an object of tags, got ${JSON.stringify(value)}`;
    default:
      return undefined;
  }
}

function depthProblem(value: unknown, where: string, depth: number): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_VALUE_DEPTH) return `${where}: nested deeper than ${MAX_VALUE_DEPTH} levels`;
  for (const [key, item] of Object.entries(value)) {
    const problem = depthProblem(item, `${where}.${key}`, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

/** What may hold what: an account holds users, a user holds access keys. */
const PARENT_OF: Readonly<Record<Kind, Kind | undefined>> = {
  aws_account: undefined,
  aws_iam_user: 'aws_account',
  aws_iam_access_key: 'aws_iam_user',
};
const LABEL: Readonly<Record<Kind, string>> = { aws_account: 'an account', aws_iam_user: 'a user', aws_iam_access_key: 'an access key' };

/** Refuses a graph that is not the tree account --> user --> access_key, naming the node. */
export function checkTree(graph: InventoryGraph, source: string): void {
  const { offsets, targets } = graph.inbound();
  for (const ordinal of graph.nodeOrdinals()) {
    const node = graph.nodeAt(ordinal);
    if (!node) continue;
    const first = offsets[ordinal] as number;
    const end = offsets[ordinal + 1] as number;
    if (end - first > 1) {
      const parents = Array.from(targets.subarray(first, end), (parent) => graph.nodeAt(parent)?.id ?? '?');
      throw new ValidationError(`${source}: node ${node.id} has ${end - first} parents (${parents.slice(0, 3).join(', ')}); an inventory is a tree`);
    }
    if (first === end) continue;
    const parent = graph.nodeAt(targets[first] as number);
    if (!parent) continue;
    if (PARENT_OF[node.kind] !== parent.kind) {
      throw new ValidationError(`${source}: node ${node.id}: ${LABEL[node.kind]} under ${LABEL[parent.kind]} (${parent.id}); the inventory is account --> user --> access_key`);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
