/** Bypass (Ctrl+B, the inspector's toggle): the document flag; validation says when one cannot pass anything. */
import { useEditorStore } from '../store/editor-store.ts';

/** Toggles bypass on the given nodes: all on unless all of them already are. Returns the new state. */
export function toggleBypass(ids: readonly string[]): boolean | null {
  const store = useEditorStore.getState();
  const targets = store.nodes.filter((n) => ids.includes(n.id));
  if (!targets.length) return null;
  const on = !targets.every((n) => n.data.bypass);
  store.commit();
  useEditorStore.setState((s) => ({
    nodes: s.nodes.map((n) => {
      if (!ids.includes(n.id)) return n;
      const { bypass: _off, ...data } = n.data;
      return { ...n, data: on ? { ...data, bypass: true } : data };
    }),
  }));
  return on;
}
