/**
 * Files and clipboard text that land on the canvas: a pipeline JSON opens (or, pasted,
 * adds its nodes), an image becomes an Image input holding it.
 */
import type { XYPosition } from '@xyflow/react';
import { api, errorMessage } from './api-client.ts';
import { fromDocument, parseImportedJson, toDocument } from './document-mapping.ts';
import { importPipeline } from './pipeline-actions.ts';
import { useEditorStore, type Snapshot } from '../store/editor-store.ts';
import { toast } from '../store/ui-store.ts';

const isJson = (f: File) => f.type === 'application/json' || /\.json$/i.test(f.name);

/** Uploads the image and adds an Image input node holding it, at `at`. */
export async function addImageInput(file: File, at: XYPosition): Promise<void> {
  try {
    const asset = await api.uploadAsset(file, file.name || 'dropped.png');
    const store = useEditorStore.getState();
    const id = store.addNode('input.image', at);
    if (id) store.updateParam(id, 'image', asset.assetId);
  } catch (e) {
    toast('error', errorMessage(e), 'Could not add the image');
  }
}

export async function dropFiles(files: File[], at: XYPosition): Promise<void> {
  const json = files.find(isJson);
  if (json) {
    const store = useEditorStore.getState();
    if (store.isDirty() && !window.confirm('Open the dropped pipeline? The unsaved changes of this one will be lost.')) return;
    await importPipeline(json);
    return;
  }
  const images = files.filter((f) => f.type.startsWith('image/'));
  if (!images.length) {
    toast('warning', 'Drop a pipeline JSON file or an image on the canvas');
    return;
  }
  for (const [i, file] of images.entries()) await addImageInput(file, { x: at.x + i * 30, y: at.y + i * 30 });
}

/** The selection as a pipeline document: what Ctrl+C puts on the system clipboard. */
export function selectionAsJson(): string | null {
  const { nodes, edges } = useEditorStore.getState();
  const picked = nodes.filter((n) => n.selected);
  if (!picked.length) return null;
  const ids = new Set(picked.map((n) => n.id));
  return JSON.stringify(toDocument(picked, edges.filter((e) => ids.has(e.source) && ids.has(e.target))), null, 2);
}

/** Clipboard text that is a pipeline document, as nodes to paste; null for any other text. */
export function nodesFromJson(text: string): Snapshot | null {
  if (!text.trim().startsWith('{')) return null;
  try {
    const { document } = parseImportedJson(text);
    const { nodes, edges } = fromDocument(document);
    const ids = new Set(nodes.map((n) => n.id));
    return { nodes, edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
  } catch {
    return null;
  }
}
