/**
 * Whether a link may be drawn, with the same rules as the server: port types via
 * the catalog's canConnect/connectionProblem, one link per input (lists up to
 * maxItems), no self-links, no cycles. Returns the reason a designer reads.
 */
import type { CatalogNode } from '@pikflow/catalog';
import { connectionProblem } from '@pikflow/catalog/ports';
import type { PikEdge, PikNode } from './graph-types.ts';

export interface LinkAttempt {
  source: string | null;
  target: string | null;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}

export function nodeTitle(node: PikNode | undefined, catalog: Map<string, CatalogNode>): string {
  if (!node) return 'a missing node';
  return node.data.label || catalog.get(node.data.type)?.title || node.data.type;
}

/** Does `from` reach `to` following edges downstream? */
export function pathBetween(from: string, to: string, edges: PikEdge[]): string[] | null {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const parent = new Map<string, string>();
  const queue = [from];
  const seen = new Set([from]);
  while (queue.length) {
    const at = queue.shift()!;
    if (at === to) {
      const path = [to];
      while (path[0] !== from) path.unshift(parent.get(path[0])!);
      return path;
    }
    for (const n of next.get(at) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        parent.set(n, at);
        queue.push(n);
      }
    }
  }
  return null;
}

export function connectionRefusal(
  link: LinkAttempt,
  nodes: PikNode[],
  edges: PikEdge[],
  catalog: Map<string, CatalogNode>,
): string | null {
  const source = nodes.find((n) => n.id === link.source);
  const target = nodes.find((n) => n.id === link.target);
  if (!source || !target) return 'connect an output to an input of another node';
  if (source.id === target.id) return 'a node cannot feed itself';
  const sourceDef = catalog.get(source.data.type);
  const targetDef = catalog.get(target.data.type);
  if (!sourceDef || !targetDef) return 'unknown node type';
  const out = sourceDef.outputs.find((p) => p.name === link.sourceHandle);
  const input = targetDef.inputs.find((p) => p.name === link.targetHandle);
  if (!out || !input) return 'connect an output (right side) to an input (left side)';

  const typeProblem = connectionProblem(out.type, input.type);
  if (typeProblem) {
    return `${out.label ?? out.name} → ${input.label ?? input.name}: ${typeProblem}`;
  }

  const into = edges.filter((e) => e.target === target.id && e.targetHandle === input.name);
  if (into.some((e) => e.source === source.id && e.sourceHandle === out.name)) return 'these ports are already linked';
  if (input.type === 'image[]') {
    if (input.maxItems !== undefined && into.length >= input.maxItems) {
      return `${input.label ?? input.name} takes at most ${input.maxItems} image${input.maxItems === 1 ? '' : 's'}`;
    }
  } else if (into.length > 0) {
    return `${input.label ?? input.name} already has a link: only image lists take several (delete the old link first)`;
  }

  const back = pathBetween(target.id, source.id, edges);
  if (back) {
    const names = [...back, target.id].map((id) => nodeTitle(nodes.find((n) => n.id === id), catalog));
    return `this link would make a cycle (${names.join(' → ')})`;
  }
  return null;
}
