/**
 * What a run produced, in the order a designer looks for it: the pipeline's declared
 * outputs first (by Output node, titled as on the canvas), then what the steps in
 * between made. The run's own inputs are not results, and one file shows once.
 */
import type { CatalogNode } from '@pikflow/catalog';
import type { PikEdge, PikNode } from './graph-types.ts';
import type { RunState } from '../store/editor-store.ts';
import { nodeTitle } from './connection-rules.ts';
import { downloadName, firstImage, isAssetRef, mediaIn, type ImageItem } from './run-values.ts';

export interface ResultItem extends ImageItem {
  key: string;
  nodeId: string;
  title: string;
  download: string;
  /** The image the node started from, for a before/after comparison. */
  before?: ImageItem;
}

export interface ResultText {
  key: string;
  nodeId: string;
  title: string;
  value: unknown;
}

export interface RunResults {
  outputs: ResultItem[];
  /** Declared outputs that are not files: URLs, text, numbers, JSON. */
  values: ResultText[];
  intermediates: ResultItem[];
}

const identity = (m: ImageItem) => m.assetId ?? m.url;
/** The same bytes stored again (a step that re-hosts its input, like the file-service upload) are the same picture. */
const content = (m: ImageItem) => (m.size && m.width && m.height ? `${m.mime}:${m.size}:${m.width}x${m.height}` : identity(m));
const keys = (m: ImageItem) => [identity(m), content(m)];

export function runResults(
  run: RunState,
  nodes: PikNode[],
  edges: PikEdge[],
  catalogById: Map<string, CatalogNode>,
  pipelineName: string,
): RunResults {
  const mode = (n: PikNode) => catalogById.get(n.data.type)?.mode;
  const seen = new Set<string>();
  // The run's inputs are what the user gave it, not what it made.
  for (const n of nodes.filter((x) => mode(x) === 'input')) {
    for (const m of mediaIn(run.nodes[n.id]?.outputs)) keys(m).forEach((k) => seen.add(k));
  }
  const beforeOf = (nodeId: string): ImageItem | undefined => firstImage(run.nodes[nodeId]?.inputs);
  const item = (m: ImageItem, node: PikNode, title: string, before?: ImageItem, fileNode = node.id): ResultItem => ({
    ...m,
    key: `${node.id}:${m.name}`,
    nodeId: node.id,
    title,
    download: downloadName(pipelineName, fileNode, run.runId, m.mime),
    before: before && m.kind === 'image' && identity(before) !== identity(m) ? before : undefined,
  });

  const outputs: ResultItem[] = [];
  const values: ResultText[] = [];
  for (const node of nodes.filter((x) => mode(x) === 'output')) {
    const name = typeof node.data.params.name === 'string' ? node.data.params.name : node.id;
    const value = run.outputs?.[name] ?? run.nodes[node.id]?.outputs?.value;
    if (value === undefined) continue;
    const title = node.data.label || name;
    const media = mediaIn({ [name]: value }).filter((m) => !keys(m).some((k) => seen.has(k)));
    const source = edges.find((e) => e.target === node.id)?.source;
    for (const m of media) {
      keys(m).forEach((k) => seen.add(k));
      // An output's file is named by the output's REST name, which is what callers know it by.
      outputs.push(item(m, node, title, source ? beforeOf(source) : undefined, name));
    }
    if (!media.length && !isAssetRef(value) && !(Array.isArray(value) && value.every(isAssetRef))) {
      values.push({ key: node.id, nodeId: node.id, title, value });
    }
  }

  const intermediates: ResultItem[] = [];
  for (const node of nodes.filter((x) => mode(x) !== 'input' && mode(x) !== 'output')) {
    const media = mediaIn(run.nodes[node.id]?.outputs).filter((m) => !keys(m).some((k) => seen.has(k)));
    const title = nodeTitle(node, catalogById);
    for (const m of media) {
      keys(m).forEach((k) => seen.add(k));
      intermediates.push(item(m, node, media.length > 1 ? `${title} · ${m.name}` : title, beforeOf(node.id)));
    }
  }
  return { outputs, values, intermediates };
}
