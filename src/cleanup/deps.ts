import { setTimeout as sleep } from 'node:timers/promises';
import type { AwsClients } from '../aws/clients';
import type { PublishedEvent } from '../events/contracts';
import type { InventoryStore } from '../inventory/store';
import type { AuditStore } from './audit-store';
import type { SafetySettings } from './safety-settings';

/** What cleanup works with, injected so that tests swap any of it. */
export interface CleanupDeps {
  /** The home account's clients; member accounts are entered from them with AssumeRole. */
  aws: AwsClients;
  store: InventoryStore;
  audit: AuditStore;
  clock: Clock;
  /** Publishes a cloudsweep event (`cleanup_refused`) with its summary; the workflow owns the bus. */
  publish: (event: PublishedEvent, summary: Record<string, unknown>) => Promise<void>;
  homeAccountId: string;
  /** The deploy-time guards (act-time floor, deployed protect tag): never from fix.worker. */
  safety: SafetySettings;
  logger?: CleanupLogger;
  /**
   * The time this invocation has left, in ms: Lambda's getRemainingTimeInMillis, or a deadline
   * injected in-process. Cleanup stops taking new keys TIME_MARGIN_MS before it. Absent: no limit.
   */
  remainingMs?: () => number;
  /** Called after each IAM write that changed a key (deleted or deactivated): tests use it to simulate a crash. */
  afterIamWrite?: (count: number) => void;
}

export interface Clock {
  now(): Date;
}

/** The slice of the powertools Logger cleanup uses: every decision is logged with the key's id. */
export interface CleanupLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export const SILENT_LOGGER: CleanupLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const realSleep: (ms: number) => Promise<void> = sleep;
