import { InventoryGraph } from './graph';
import type { InventoryNode } from './model';

/**
 * What cleanup changed in IAM, shown in the stored inventory before the next collect says so. A key
 * cleanup deleted (or found already gone) stays stored, marked `metadata.cleaned`, until that collect
 * drops it; a key it deactivated keeps the status it was collected with.
 */

export function isDeletedKey(node: InventoryNode): boolean {
  const result = node.metadata.cleanup_result;
  return node.kind === 'aws_iam_access_key' && node.metadata.cleaned === true && (result === 'deleted' || result === 'already_absent');
}

/** The inventory without the keys cleanup deleted, and how many were left out. */
export function withoutDeletedKeys(graph: InventoryGraph): { graph: InventoryGraph; left_out: number } {
  const gone = new Set<string>();
  for (const node of graph.nodes()) if (isDeletedKey(node)) gone.add(node.id);
  if (gone.size === 0) return { graph, left_out: 0 };
  const nodes = [...graph.nodes()].filter((node) => !gone.has(node.id));
  const edges = graph.edges().filter((edge) => !gone.has(edge.from) && !gone.has(edge.to));
  return { graph: new InventoryGraph(nodes, edges), left_out: gone.size };
}

/**
 * A key cleanup deactivated after its account was last collected is Inactive, as IAM now has it.
 * One deactivated before that collect shows what the collect found (someone may have reactivated it).
 */
export function showDeactivation(node: InventoryNode, collectedAt: string): void {
  const at = node.metadata.deactivated_at;
  if (node.kind !== 'aws_iam_access_key' || typeof at !== 'string' || at <= collectedAt || node.metadata.cleaned === true) return;
  if (node.reported.access_key_status === 'Active') node.reported = { ...node.reported, access_key_status: 'Inactive' };
}
