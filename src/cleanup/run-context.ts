import type { InventoryGraph } from '../inventory/graph';
import type { NodeUpdate } from '../inventory/store';
import type { RunRef } from '../workflow/contracts';
import type { AccountSessions } from './account-sessions';
import type { CleanupDeps, CleanupLogger } from './deps';

/** What the parts of one cleanup run share. */
export interface RunContext {
  deps: CleanupDeps;
  ref: RunRef;
  graph: InventoryGraph;
  sessions: AccountSessions;
  log: CleanupLogger;
  now(): string;
  /** Writes node updates; a failure here stops the run (the intent stays for the next run). */
  updateInventory(updates: NodeUpdate[]): Promise<void>;
}

export function errorText(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  const message = error instanceof Error ? error.message : String(error);
  return name && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}
