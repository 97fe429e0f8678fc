import type { InventoryGraph } from './graph';
import type { Desired, Metadata } from './model';

/**
 * Where the inventory lives between runs. The DynamoDB store implements it for the CLI and the
 * Lambdas; tests may use an in-memory one. Searches load the graph; `clean`, `protect`,
 * `unprotect`, jobs and cleanup write node updates; collect replaces one account's snapshot.
 */
export interface InventoryStore {
  /** Every account's latest snapshot, with the metadata and desired state of each node. */
  loadGraph(): Promise<LoadedInventory>;
  /** Replaces the metadata and/or desired state of these nodes (reported data is collect's alone). */
  updateNodes(updates: readonly NodeUpdate[]): Promise<void>;
  /**
   * The stored metadata and desired state of these nodes now, read consistently: cleanup reads a
   * key's and its user's just before each IAM write. A node without flags maps to `{}`.
   */
  readFlags(nodes: readonly NodeRef[]): Promise<Map<string, NodeFlags>>;
}

/** A node and the account whose partition holds it. */
export interface NodeRef {
  id: string;
  accountId: string;
}

export interface NodeFlags {
  metadata?: Metadata;
  desired?: Desired;
}

export interface LoadedInventory {
  graph: InventoryGraph;
  /** When the oldest account snapshot in it was collected; undefined for an empty inventory. */
  collectedAt?: string;
}

/** The new metadata and/or desired state of one node, whole (not a patch). */
export interface NodeUpdate {
  id: string;
  /** The account the node belongs to (the store partitions by account). */
  accountId: string;
  metadata?: Metadata;
  desired?: Desired;
}
