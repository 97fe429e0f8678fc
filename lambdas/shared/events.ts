import { parse } from '@aws-lambda-powertools/parser';
import type * as z from 'zod/mini';
import { SchemaIssue, schemaError } from '../../src/schema-errors';
import { CleanupEvent, CollectEvent, PlanEvent } from '../../src/workflow/step-payloads';

/**
 * The Lambda events (src/workflow/step-payloads.ts), checked at the door with powertools' parser: a
 * malformed event is rejected with the field it got wrong, before anything is read or written.
 */
export type { CleanupEvent, CollectEvent, PlanEvent };

export function parseCollectEvent(event: unknown): CollectEvent {
  return parseEvent(event, CollectEvent);
}

export function parsePlanEvent(event: unknown): PlanEvent {
  return parseEvent(event, PlanEvent);
}

export function parseCleanupEvent(event: unknown): CleanupEvent {
  return parseEvent(event, CleanupEvent);
}

function parseEvent<S extends CollectEvent | PlanEvent | CleanupEvent>(event: unknown, schema: z.ZodMiniType<S>): S {
  const parsed = parse(event, undefined, schema, true);
  if (parsed.success) return parsed.data;
  // The parser's ParseError carries the schema's issues as its cause.
  throw schemaError('event', parsed.error.cause as readonly SchemaIssue[]);
}
