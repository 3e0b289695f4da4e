/**
 * Sticky notes and group frames on the canvas. They live in the document's `annotations`, not in
 * the graph: React Flow shows them as extra nodes (types pikNote/pikGroup) that validation, the
 * run and copy/paste never see. A group holds the nodes inside its rectangle, like ComfyUI's.
 */
import { create } from 'zustand';
import type { Node, NodeChange, XYPosition } from '@xyflow/react';
import type { PipelineAnnotation } from '@pikflow/pipeline';
import { useEditorStore } from '../store/editor-store.ts';

export type AnnotationNode = Node<{ annotation: PipelineAnnotation }, 'pikNote' | 'pikGroup'>;

/** The palette of colours a note or group can take (dark-theme friendly). */
export const ANNOTATION_COLORS = ['#6b5a1e', '#1e4f6b', '#2f5e2a', '#6b2a3a', '#4b3575', '#3a3d47'] as const;
const DEFAULT_COLOR = { note: '#6b5a1e', group: '#1e4f6b' } as const;
/** A pik node's box when React Flow has not measured it yet (nodes.css .pik-node). */
const NODE_BOX = { width: 250, height: 100 };

const annotations = () => useEditorStore.getState().annotations;
/** Every edit is undoable (Ctrl+Z); typing and dragging in one annotation coalesce into one step. */
const setAnnotations = (next: PipelineAnnotation[], coalesceKey?: string) => {
  useEditorStore.getState().commit(coalesceKey);
  useEditorStore.setState({ annotations: next });
};

function freshId(kind: PipelineAnnotation['kind']): string {
  const taken = new Set(annotations().map((a) => a.id));
  for (let i = 1; ; i++) if (!taken.has(`${kind}-${i}`)) return `${kind}-${i}`;
}

export function addNote(position: XYPosition): string {
  const id = freshId('note');
  setAnnotations([...annotations(), { id, kind: 'note', text: '', color: DEFAULT_COLOR.note, position: round(position), width: 220, height: 140 }]);
  return id;
}

/** A group around the selected nodes (with a margin for its title), or an empty frame at `fallback`. */
export function addGroup(fallback: XYPosition): string {
  const id = freshId('group');
  const picked = useEditorStore.getState().nodes.filter((n) => n.selected);
  let frame = { position: round(fallback), width: 520, height: 320 };
  if (picked.length) {
    const boxes = picked.map((n) => ({ ...n.position, w: n.measured?.width ?? NODE_BOX.width, h: n.measured?.height ?? NODE_BOX.height }));
    const x = Math.min(...boxes.map((b) => b.x)) - 30;
    const y = Math.min(...boxes.map((b) => b.y)) - 60;
    frame = {
      position: round({ x, y }),
      width: Math.round(Math.max(...boxes.map((b) => b.x + b.w)) + 30 - x),
      height: Math.round(Math.max(...boxes.map((b) => b.y + b.h)) + 30 - y),
    };
  }
  setAnnotations([...annotations(), { id, kind: 'group', text: 'Group', color: DEFAULT_COLOR.group, ...frame }]);
  return id;
}

export function updateAnnotation(id: string, patch: Partial<Omit<PipelineAnnotation, 'id' | 'kind'>>): void {
  setAnnotations(annotations().map((a) => (a.id === id ? { ...a, ...patch } : a)), `annotation:${id}:${Object.keys(patch).join(',')}`);
}

export function removeAnnotations(ids: ReadonlySet<string>): void {
  if (ids.size) setAnnotations(annotations().filter((a) => !ids.has(a.id)));
}

export const isAnnotationId = (id: string) => annotations().some((a) => a.id === id);

/** React Flow nodes for the annotations; groups stay behind everything, even when selected. */
export function annotationNodes(list: PipelineAnnotation[], selected: ReadonlySet<string>): AnnotationNode[] {
  return list.map((a) => ({
    id: a.id,
    type: a.kind === 'note' ? 'pikNote' : 'pikGroup',
    position: a.position,
    width: a.width,
    height: a.height,
    selected: selected.has(a.id),
    zIndex: a.kind === 'group' ? -2000 : 0,
    // A group moves by its title bar; clicks on its body reach the canvas (nodes.css).
    ...(a.kind === 'group' ? { dragHandle: '.pik-group-bar' } : {}),
    ariaLabel: a.kind === 'group' ? `Group: ${a.text || 'untitled'}` : `Note: ${a.text.split('\n')[0]?.slice(0, 60) || 'empty'}`,
    data: { annotation: a },
  }));
}

/**
 * Applies React Flow's changes for annotation nodes: moves and resizes go to the document,
 * selection to useAnnotationSelection. Returns the changes meant for pipeline nodes.
 */
/** Which annotations are selected: canvas state, never saved. */
export const useAnnotationSelection = create<{ ids: ReadonlySet<string> }>(() => ({ ids: new Set() }));

function select(id: string, on: boolean): void {
  const ids = new Set(useAnnotationSelection.getState().ids);
  if (on) ids.add(id);
  else ids.delete(id);
  useAnnotationSelection.setState({ ids });
}

export function removeSelectedAnnotations(): number {
  const { ids } = useAnnotationSelection.getState();
  removeAnnotations(ids);
  useAnnotationSelection.setState({ ids: new Set() });
  return ids.size;
}

export function applyAnnotationChanges<N extends Node>(changes: NodeChange<N>[]): NodeChange<N>[] {
  const ids = new Set(annotations().map((a) => a.id));
  const rest: NodeChange<N>[] = [];
  for (const c of changes) {
    if (!('id' in c) || !ids.has(c.id)) rest.push(c);
    else if (c.type === 'position' && c.position) updateAnnotation(c.id, { position: round(c.position) });
    else if (c.type === 'dimensions' && c.resizing && c.dimensions) updateAnnotation(c.id, { width: Math.round(c.dimensions.width), height: Math.round(c.dimensions.height) });
    else if (c.type === 'select') select(c.id, c.selected);
    else if (c.type === 'remove') removeAnnotations(new Set([c.id]));
  }
  return rest;
}

// ---------------------------------------------------------------------------------------
// Moving a group moves what it holds: the nodes and notes inside its rectangle when the drag began.

let carried: { groupId: string; start: XYPosition; members: Map<string, XYPosition> } | null = null;

export function startGroupDrag(node: Node): void {
  const group = annotations().find((a) => a.id === node.id && a.kind === 'group');
  carried = null;
  if (!group) return;
  const inside = (p: XYPosition, w: number, h: number) =>
    p.x >= group.position.x && p.y >= group.position.y && p.x + w <= group.position.x + group.width && p.y + h <= group.position.y + group.height;
  const members = new Map<string, XYPosition>();
  for (const n of useEditorStore.getState().nodes) {
    if (inside(n.position, n.measured?.width ?? NODE_BOX.width, n.measured?.height ?? NODE_BOX.height)) members.set(n.id, n.position);
  }
  for (const a of annotations()) if (a.kind === 'note' && inside(a.position, a.width, a.height)) members.set(a.id, a.position);
  carried = { groupId: group.id, start: group.position, members };
}

export function dragGroup(node: Node): void {
  if (!carried || carried.groupId !== node.id) return;
  const dx = node.position.x - carried.start.x;
  const dy = node.position.y - carried.start.y;
  const members = carried.members;
  const moved = (p: XYPosition) => round({ x: p.x + dx, y: p.y + dy });
  useEditorStore.setState((s) => ({
    // Nodes React Flow drags itself (selected with the group) already follow the pointer.
    nodes: s.nodes.map((n) => (members.has(n.id) && !n.dragging ? { ...n, position: moved(members.get(n.id)!) } : n)),
    annotations: s.annotations.map((a) => (members.has(a.id) ? { ...a, position: moved(members.get(a.id)!) } : a)),
  }));
}

export function endGroupDrag(): void {
  carried = null;
}

function round(p: XYPosition): XYPosition {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}
