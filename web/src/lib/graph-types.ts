import type { Edge, Node } from '@xyflow/react';

/** What a canvas node carries: exactly the pipeline document's node fields. */
export type PikNodeData = {
  type: string;
  params: Record<string, unknown>;
  label?: string;
  /** Re-roll nonce (part of the node's result-cache key): set by "Re-roll". */
  reroll?: string;
  /** Bypassed: nothing is sent, same-typed inputs pass through (packages/pipeline bypass.ts). */
  bypass?: boolean;
};

export type PikNode = Node<PikNodeData, 'pik'>;
export type PikEdge = Edge;
