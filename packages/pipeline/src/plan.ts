/**
 * Execution planning over a validated document: which nodes may start, which
 * depend on a failed one, which links feed a port. Pure functions of the
 * document so any worker can recompute them after a restart.
 */
import { topologicalGenerations as dagGenerations } from 'graphology-dag';
import type { PipelineDocument, PipelineEdge } from './document.ts';
import { buildGraph, type PipelineGraph } from './graph.ts';

type GraphSource = Pick<PipelineDocument, 'nodes' | 'edges'>;

// Documents are treated as immutable once validated; the graph is derived once per document object.
const graphs = new WeakMap<GraphSource, PipelineGraph>();

export function pipelineGraph(doc: GraphSource): PipelineGraph {
  let graph = graphs.get(doc);
  if (!graph) {
    graph = buildGraph(doc);
    graphs.set(doc, graph);
  }
  return graph;
}

/** Node ids in waves: every node of a wave depends only on earlier waves. Throws on a cycle (validate first). */
export function topologicalGenerations(doc: GraphSource): string[][] {
  return dagGenerations(pipelineGraph(doc));
}

/** Unfinished nodes whose every upstream node is in `finished`, in document order. */
export function readyNodes(doc: GraphSource, finished: ReadonlySet<string>): string[] {
  const graph = pipelineGraph(doc);
  const ready: string[] = [];
  graph.forEachNode((id) => {
    if (finished.has(id)) return;
    if (graph.inNeighbors(id).every((up) => finished.has(up))) ready.push(id);
  });
  return ready;
}

/** Every node downstream of `nodeId` (not itself): what to skip when it fails. */
export function descendants(doc: GraphSource, nodeId: string): string[] {
  const graph = pipelineGraph(doc);
  if (!graph.hasNode(nodeId)) return [];
  const seen = new Set<string>();
  const queue = [nodeId];
  while (queue.length) {
    for (const next of graph.outNeighbors(queue.shift()!)) {
      if (next === nodeId || seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  // Document order, so skipped nodes are reported the way the designer laid them out.
  return graph.nodes().filter((id) => seen.has(id));
}

export interface IncomingLink {
  edgeId: string;
  source: string;
  sourceHandle: string;
}

/** Links into `nodeId` per target port, in document order (an image[] port's list keeps that order). */
export function incomingLinks(doc: GraphSource, nodeId: string): Record<string, IncomingLink[]> {
  const out: Record<string, IncomingLink[]> = {};
  const graph = pipelineGraph(doc);
  for (const edge of doc.edges as PipelineEdge[]) {
    if (edge.target !== nodeId || !graph.hasEdge(edge.id)) continue;
    // A duplicated edge id in the document maps to the first edge only.
    if (graph.getEdgeAttribute(edge.id, 'edge') !== edge) continue;
    (out[edge.targetHandle] ??= []).push({ edgeId: edge.id, source: edge.source, sourceHandle: edge.sourceHandle });
  }
  return out;
}

/** Nodes nothing depends on (typically Output nodes). */
export function sinkNodes(doc: GraphSource): string[] {
  const graph = pipelineGraph(doc);
  return graph.filterNodes((id) => graph.outDegree(id) === 0);
}
