import { pipelineDocumentSchema } from '@pikflow/pipeline';
import { z } from 'zod';

/**
 * Zod mirrors of the REST shapes in @pikflow/pipeline/api-types.ts. They type the
 * OpenAPI document and make every response pass through a schema (unknown fields are
 * dropped, so nothing internal leaks by accident).
 */

export const uuidParam = z.uuid({ error: 'must be a UUID' });
export const idParams = z.object({ id: uuidParam });

const problemSchema = z.object({
  code: z.string().optional(),
  message: z.string(),
  nodeId: z.string().optional(),
  edgeId: z.string().optional(),
  field: z.string().optional(),
});

export const apiErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      nodeId: z.string().optional(),
      field: z.string().optional(),
      problems: z.array(problemSchema).optional(),
    }),
  })
  .meta({ id: 'ApiError' });

/** The error responses every route may give; merged into each route's `response`. */
export const errorResponses = {
  400: apiErrorSchema,
  401: apiErrorSchema,
  402: apiErrorSchema,
  403: apiErrorSchema,
  404: apiErrorSchema,
  409: apiErrorSchema,
  413: apiErrorSchema,
  415: apiErrorSchema,
  429: apiErrorSchema,
  500: apiErrorSchema,
  503: apiErrorSchema,
} as const;

export const documentSchema = pipelineDocumentSchema.meta({ id: 'PipelineDocument' });

export const assetRefSchema = z
  .object({
    assetId: z.string(),
    url: z.string(),
    mime: z.string(),
    size: z.number().optional(),
    width: z.number().optional(),
    height: z.number().optional(),
  })
  .meta({ id: 'AssetRef' });

const errorViewSchema = z.object({ code: z.string(), message: z.string(), nodeId: z.string().optional() });
const valueMap = z.record(z.string(), z.unknown());

export const runStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

export const nodeRunViewSchema = z.object({
  nodeId: z.string(),
  nodeType: z.string(),
  status: z.enum(['pending', 'queued', 'running', 'submitted', 'waiting_for_quota', 'succeeded', 'failed', 'skipped', 'cancelled', 'cached', 'bypassed']),
  taskId: z.string().optional(),
  attempt: z.number(),
  pollCount: z.number(),
  possibleDuplicateCharge: z.literal(true).optional().describe('A lost submission answer was re-sent: Freepik may have charged twice for this node'),
  startedAt: z.string().optional(),
  submittedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  inputs: valueMap.optional(),
  outputs: valueMap.optional(),
  error: errorViewSchema.optional(),
  cachedFrom: z.object({ runId: z.string(), nodeRunId: z.string() }).optional().describe("status 'cached': the run and node run its outputs came from"),
  waiting: z.object({ service: z.string(), reason: z.enum(['daily', 'per_second', 'concurrent', 'retry_after']), until: z.string() }).optional(),
  retrying: z
    .object({ what: z.enum(['submit', 'status', 'list', 'download']), reason: z.string(), attempt: z.number(), retryAt: z.string() })
    .optional()
    .describe('While the engine waits to repeat a request of this node (a 503, a refused connection): `attempt` is the one made at `retryAt`'),
});

export const runViewSchema = z
  .object({
    id: z.string(),
    pipelineId: z.string().optional(),
    pipelineVersion: z.number().optional(),
    status: runStatusSchema,
    inputs: valueMap,
    outputs: valueMap.optional(),
    error: errorViewSchema.optional(),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    nodes: z.array(nodeRunViewSchema),
    usage: z
      .object({ cachedNodes: z.number(), freepikSubmissions: z.number(), freepikRequests: z.number() })
      .describe('Nodes served from the result cache; Freepik submissions; all Freepik requests (submissions + status checks)'),
  })
  .meta({ id: 'RunView' });

export const pipelineSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  latestVersion: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const pipelineViewSchema = pipelineSummarySchema
  .extend({
    version: z.number(),
    document: documentSchema,
    versions: z.array(z.object({ version: z.number(), createdAt: z.string() })).optional(),
  })
  .meta({ id: 'PipelineView' });

export const pipelineProblemSchema = problemSchema.extend({ code: z.string() }).meta({ id: 'PipelineProblem' });

export const createdPipelineSchema = z.object({
  id: z.string(),
  version: z.number(),
  /** Only for drafts saved with problems. */
  problems: z.array(pipelineProblemSchema).optional(),
});

export const templateViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  document: documentSchema,
});

export const healthViewSchema = z.object({
  status: z.literal('ok'),
  mode: z.enum(['simulator', 'freepik']),
  database: z.enum(['pglite', 'postgres']),
  version: z.string(),
  webhooks: z.boolean(),
});

export const pipelineNameSchema = z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters');
