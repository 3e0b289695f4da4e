/** Pipeline documents for tests, written the short way. */
import type { PipelineDocument } from '@pikflow/pipeline';

/** `[id, type, params]` nodes and `a.out -> b.in` edges make a pipeline document. */
export function pipeline(nodes: [string, string, Record<string, unknown>?][], edges: string[]): PipelineDocument {
  return {
    version: 1,
    nodes: nodes.map(([id, type, params = {}], i) => ({ id, type, params, position: { x: i * 240, y: 0 } })),
    edges: edges.map((e, i) => {
      const [from, to] = e.split('->').map((s) => s.trim()) as [string, string];
      const [source, sourceHandle] = [from.slice(0, from.indexOf('.')), from.slice(from.indexOf('.') + 1)];
      const [target, targetHandle] = [to.slice(0, to.indexOf('.')), to.slice(to.indexOf('.') + 1)];
      return { id: `e${i}`, source, sourceHandle, target, targetHandle };
    }),
  };
}
