import { MultiDirectedGraph } from 'graphology';
import type { PipelineDocument, PipelineEdge, PipelineNode } from './document.ts';

export interface NodeAttributes {
  node: PipelineNode;
}
export interface EdgeAttributes {
  edge: PipelineEdge;
}
export type PipelineGraph = MultiDirectedGraph<NodeAttributes, EdgeAttributes>;

/**
 * The document as a graphology graph keyed by node and edge ids. Duplicate ids
 * and edges to missing nodes are left out (validation reports them), so this
 * never throws on a document validation has not seen yet.
 */
export function buildGraph(doc: Pick<PipelineDocument, 'nodes' | 'edges'>): PipelineGraph {
  const graph: PipelineGraph = new MultiDirectedGraph();
  for (const node of doc.nodes) {
    if (!graph.hasNode(node.id)) graph.addNode(node.id, { node });
  }
  for (const edge of doc.edges) {
    if (graph.hasEdge(edge.id) || !graph.hasNode(edge.source) || !graph.hasNode(edge.target)) continue;
    graph.addDirectedEdgeWithKey(edge.id, edge.source, edge.target, { edge });
  }
  return graph;
}

/**
 * One cycle per strongly connected component (Tarjan), as the node ids in
 * order with the first repeated at the end: ['a', 'b', 'a'].
 */
export function findCycles(graph: PipelineGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  const strongConnect = (start: string) => {
    // Iterative Tarjan: pipelines are small, but recursion depth should not depend on user input.
    const work: { id: string; neighbours: string[]; next: number }[] = [];
    const enter = (id: string) => {
      index.set(id, counter);
      low.set(id, counter);
      counter++;
      stack.push(id);
      onStack.add(id);
      work.push({ id, neighbours: graph.outNeighbors(id), next: 0 });
    };
    enter(start);
    while (work.length) {
      const frame = work[work.length - 1]!;
      if (frame.next < frame.neighbours.length) {
        const w = frame.neighbours[frame.next++]!;
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(w)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.id);
        components.push(component);
      }
    }
  };
  graph.forEachNode((id) => {
    if (!index.has(id)) strongConnect(id);
  });

  const cycles: string[][] = [];
  const order = new Map(graph.nodes().map((id, i) => [id, i]));
  for (const component of components) {
    const members = new Set(component);
    const first = component.sort((a, b) => order.get(a)! - order.get(b)!)[0]!;
    if (component.length === 1 && !graph.hasDirectedEdge(first, first)) continue;
    cycles.push(cycleThrough(graph, first, members));
  }
  return cycles.sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}

/** A shortest path from `start` back to itself inside one component (BFS). */
function cycleThrough(graph: PipelineGraph, start: string, members: Set<string>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const id = queue.shift()!;
    for (const next of graph.outNeighbors(id)) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [id];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, id);
        queue.push(next);
      }
    }
  }
  return [start, start];
}
