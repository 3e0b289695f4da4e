/** Pipeline document <-> React Flow nodes/edges. The document is React Flow's shape, so this is 1:1. */
import type { PipelineAnnotation, PipelineDocument } from '@pikflow/pipeline';
import type { PikEdge, PikNode } from './graph-types.ts';

// The type pins the value to the package's PIPELINE_DOCUMENT_VERSION without importing its schemas (zod) into the first screen.
const PIPELINE_DOCUMENT_VERSION: PipelineDocument['version'] = 1;

/** Notes and group frames ride along; a document without any has no `annotations` key, as before. */
export function toDocument(nodes: PikNode[], edges: PikEdge[], annotations: PipelineAnnotation[] = []): PipelineDocument {
  return {
    version: PIPELINE_DOCUMENT_VERSION,
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.data.type,
      params: n.data.params,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      ...(n.data.label ? { label: n.data.label } : {}),
      ...(n.data.reroll ? { reroll: n.data.reroll } : {}),
      ...(n.data.bypass ? { bypass: true } : {}),
    })),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      sourceHandle: e.sourceHandle ?? '',
      target: e.target,
      targetHandle: e.targetHandle ?? '',
    })),
    ...(annotations.length ? { annotations } : {}),
  };
}

export function fromDocument(doc: PipelineDocument): { nodes: PikNode[]; edges: PikEdge[]; annotations: PipelineAnnotation[] } {
  return {
    nodes: doc.nodes.map((n) => ({
      id: n.id,
      type: 'pik' as const,
      position: n.position ?? { x: 0, y: 0 },
      data: {
        type: n.type,
        params: { ...(n.params ?? {}) },
        ...(n.label ? { label: n.label } : {}),
        ...(n.reroll ? { reroll: n.reroll } : {}),
        ...(n.bypass ? { bypass: true } : {}),
      },
    })),
    edges: doc.edges.map((e) => ({
      id: e.id,
      source: e.source,
      sourceHandle: e.sourceHandle,
      target: e.target,
      targetHandle: e.targetHandle,
    })),
    annotations: doc.annotations ?? [],
  };
}

/** A stable string of what would be saved: positions rounded, selection ignored. */
export function documentSignature(nodes: PikNode[], edges: PikEdge[], annotations: PipelineAnnotation[] = []): string {
  return JSON.stringify(toDocument(nodes, edges, annotations));
}

/** Accepts a bare document or an export ({name, document}) from a file. */
export function parseImportedJson(text: string): { name?: string; document: PipelineDocument } {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const candidate = (raw.document && typeof raw.document === 'object' ? raw.document : raw) as Record<string, unknown>;
  if (!Array.isArray(candidate.nodes) || !Array.isArray(candidate.edges)) {
    throw new Error('This file is not a Pikflow pipeline: it needs "nodes" and "edges" lists');
  }
  return {
    name: typeof raw.name === 'string' ? raw.name : undefined,
    document: {
      version: PIPELINE_DOCUMENT_VERSION,
      nodes: candidate.nodes as PipelineDocument['nodes'],
      edges: candidate.edges as PipelineDocument['edges'],
      ...(Array.isArray(candidate.annotations) ? { annotations: candidate.annotations as PipelineAnnotation[] } : {}),
    },
  };
}
