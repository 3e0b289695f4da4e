/** Left-to-right layered layout with elkjs, sized by what React Flow measured. */
import type { ELK as ElkInstance } from 'elkjs/lib/elk-api.js';
import { useEditorStore } from '../store/editor-store.ts';

// elkjs is large: load it the first time someone asks for a layout.
let elk: Promise<ElkInstance> | undefined;
function loadElk(): Promise<ElkInstance> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((m) => new m.default());
  return elk;
}

export async function autoLayout(): Promise<void> {
  const { nodes, edges, applyPositions } = useEditorStore.getState();
  if (!nodes.length) return;
  const graph = await (await loadElk()).layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
      'elk.spacing.nodeNode': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    },
    children: nodes.map((n) => ({
      id: n.id,
      width: n.measured?.width ?? 240,
      height: n.measured?.height ?? 140,
    })),
    edges: edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const positions: Record<string, { x: number; y: number }> = {};
  for (const c of graph.children ?? []) positions[c.id] = { x: c.x ?? 0, y: c.y ?? 0 };
  applyPositions(positions);
}

/** Fits the view once React Flow has taken the new positions in (next frames). */
export function fitSoon(flow: { fitView(options?: { padding?: number; duration?: number; maxZoom?: number }): Promise<boolean> }) {
  setTimeout(() => void flow.fitView({ padding: 0.08, duration: 200, maxZoom: 1 }), 60);
}
