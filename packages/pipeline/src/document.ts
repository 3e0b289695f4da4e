import { z } from 'zod';

/**
 * The one pipeline document format: what the editor saves, the REST API stores and
 * export/import moves around. Close to React Flow's own nodes/edges shape so the
 * editor maps it 1:1.
 */
export const PIPELINE_DOCUMENT_VERSION = 1;

const id = z.string().min(1).max(128);

export const pipelineNodeSchema = z.object({
  id,
  type: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  position: z.object({ x: z.number(), y: z.number() }).default({ x: 0, y: 0 }),
  /** A designer's own name for the node, shown instead of the type title. */
  label: z.string().max(200).optional(),
  /**
   * Re-roll nonce: part of the node's result-cache key, so a new value gets a generative node a new
   * variation while everything upstream stays cached (the editor's "Re-roll" sets it).
   */
  reroll: z.string().max(64).optional(),
  /**
   * Bypassed (ComfyUI's Ctrl+B): nothing is sent for the node; each output passes on the value of
   * its first same-typed linked input (bypass.ts). Validation refuses a bypass with nothing to pass.
   */
  bypass: z.boolean().optional(),
});

export const pipelineEdgeSchema = z.object({
  id,
  source: id,
  sourceHandle: z.string().min(1),
  target: id,
  targetHandle: z.string().min(1),
});

const colour = z.string().regex(/^#[0-9a-f]{6}$/i, 'a colour is #rrggbb');
const size = z.number().min(40).max(20_000);

/**
 * Canvas annotations: a sticky note or a group frame. Not part of the DAG: validation and the
 * engine never read them. A group holds the nodes inside its rectangle (geometry, like
 * ComfyUI), so membership needs no ids that could go stale.
 */
export const pipelineAnnotationSchema = z.object({
  id,
  kind: z.enum(['note', 'group']),
  /** A note's text, or a group's title. */
  text: z.string().max(10_000).default(''),
  color: colour.optional(),
  position: z.object({ x: z.number(), y: z.number() }),
  width: size,
  height: size,
});

export const pipelineDocumentSchema = z.object({
  version: z.literal(PIPELINE_DOCUMENT_VERSION).default(PIPELINE_DOCUMENT_VERSION),
  nodes: z.array(pipelineNodeSchema).max(500),
  edges: z.array(pipelineEdgeSchema).max(2000),
  /** Optional so documents from before annotations read unchanged. */
  annotations: z.array(pipelineAnnotationSchema).max(500).optional(),
});

export type PipelineNode = z.infer<typeof pipelineNodeSchema>;
export type PipelineEdge = z.infer<typeof pipelineEdgeSchema>;
export type PipelineAnnotation = z.infer<typeof pipelineAnnotationSchema>;
export type PipelineDocument = z.infer<typeof pipelineDocumentSchema>;

/** One thing wrong with a pipeline, pinned to where a designer should look. */
export interface PipelineProblem {
  code:
    | 'invalid_document'
    | 'duplicate_id'
    | 'unknown_node_type'
    | 'unknown_port'
    | 'missing_node'
    | 'type_mismatch'
    | 'multiple_links'
    | 'missing_input'
    | 'invalid_param'
    | 'too_many_links'
    | 'cycle'
    | 'no_output'
    | 'duplicate_input_name'
    | 'duplicate_output_name'
    | 'unknown_param'
    | 'invalid_bypass';
  message: string;
  nodeId?: string;
  edgeId?: string;
  /** The param (field) or port name the problem is about. */
  field?: string;
}
