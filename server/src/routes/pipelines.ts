import { validatePipeline } from '@pikflow/pipeline';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createdPipelineSchema,
  errorResponses,
  idParams,
  pipelineNameSchema,
  pipelineProblemSchema,
  pipelineSummarySchema,
  pipelineViewSchema,
} from '../schemas.ts';
import { checkDocument } from '../services/validation.ts';

/**
 * A document as callers send it. Only the outline is checked here; validatePipeline
 * then reports every problem inside it at once, pinned to node and field.
 */
export const documentInputSchema = z
  .object({
    version: z.number().optional(),
    nodes: z.array(z.record(z.string(), z.unknown())),
    edges: z.array(z.record(z.string(), z.unknown())),
  })
  .loose()
  .describe('A pipeline document: {version, nodes:[{id,type,params,position}], edges:[{id,source,sourceHandle,target,targetHandle}]}');

const draftQuery = z.strictObject({
  draft: z
    .enum(['true', 'false'])
    .optional()
    .describe('true: save even with validation problems (they are returned); runs of such a version are refused'),
});

function fileName(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  return `${slug || 'pipeline'}.pikflow.json`;
}

export const pipelineRoutes: FastifyPluginAsyncZod = async (app) => {
  const store = () => app.services.pipelines;
  // Documents may carry images as data URIs: these routes take MAX_BODY_MB, the rest of the API far less.
  const bodyLimit = app.services.config.limits.bodyBytes;

  app.post(
    '/pipelines',
    {
      bodyLimit,
      schema: {
        tags: ['pipelines'],
        summary: 'Create a pipeline (version 1)',
        querystring: draftQuery,
        body: z.strictObject({ name: pipelineNameSchema, document: documentInputSchema }),
        response: { 201: createdPipelineSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { document, problems } = checkDocument(request.body.document, { draft: request.query.draft === 'true' });
      const created = await store().create(request.body.name, document);
      request.log.info({ pipelineId: created.id, version: created.version }, 'pipeline created');
      return reply.code(201).send({ ...created, ...(problems.length ? { problems } : {}) });
    },
  );

  app.get(
    '/pipelines',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'List pipelines, most recently changed first',
        response: { 200: z.object({ pipelines: z.array(pipelineSummarySchema) }), ...errorResponses },
      },
    },
    async () => ({ pipelines: await store().list() }),
  );

  app.post(
    '/pipelines/validate',
    {
      bodyLimit,
      schema: {
        tags: ['pipelines'],
        summary: 'Check a document without saving it (what the editor shows on the nodes)',
        body: z.strictObject({ document: z.unknown() }),
        response: {
          200: z.object({
            ok: z.boolean(),
            problems: z.array(pipelineProblemSchema),
            inputs: z.array(
              z.object({ name: z.string(), type: z.string(), nodeId: z.string(), required: z.boolean(), description: z.string().optional() }),
            ),
            outputs: z.array(z.object({ name: z.string(), nodeId: z.string() })),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const result = validatePipeline(request.body.document);
      return { ok: result.ok, problems: result.problems, inputs: result.inputs, outputs: result.outputs };
    },
  );

  app.post(
    '/pipelines/import',
    {
      bodyLimit,
      schema: {
        tags: ['pipelines'],
        summary: 'Create a pipeline from an exported document',
        querystring: draftQuery,
        body: z.strictObject({ name: pipelineNameSchema.optional(), document: documentInputSchema }),
        response: { 201: createdPipelineSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { document, problems } = checkDocument(request.body.document, { draft: request.query.draft === 'true' });
      const created = await store().create(request.body.name ?? 'Imported pipeline', document);
      request.log.info({ pipelineId: created.id }, 'pipeline imported');
      return reply.code(201).send({ ...created, ...(problems.length ? { problems } : {}) });
    },
  );

  app.get(
    '/pipelines/:id',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'A pipeline: its latest version, or ?version=',
        params: idParams,
        querystring: z.strictObject({ version: z.coerce.number().int().min(1).optional() }),
        response: { 200: pipelineViewSchema, ...errorResponses },
      },
    },
    async (request) => store().get(request.params.id, request.query.version),
  );

  app.put(
    '/pipelines/:id',
    {
      bodyLimit,
      schema: {
        tags: ['pipelines'],
        summary: 'Save a new immutable version and/or rename',
        params: idParams,
        querystring: draftQuery,
        body: z
          .strictObject({
            name: pipelineNameSchema.optional(),
            document: documentInputSchema.optional(),
            baseVersion: z.number().int().min(1).optional().describe('The version this edit started from; 409 if another save came first'),
          })
          .refine((b) => b.name !== undefined || b.document !== undefined, { message: 'send a name, a document, or both' }),
        response: { 200: createdPipelineSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { name, baseVersion } = request.body;
      const checked = request.body.document === undefined ? undefined : checkDocument(request.body.document, { draft: request.query.draft === 'true' });
      const saved = await store().update(request.params.id, { name, baseVersion, document: checked?.document });
      request.log.info({ pipelineId: saved.id, version: saved.version }, 'pipeline saved');
      return { ...saved, ...(checked?.problems.length ? { problems: checked.problems } : {}) };
    },
  );

  app.delete(
    '/pipelines/:id',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Delete a pipeline (its runs and versions stay in the history)',
        params: idParams,
        response: { 204: z.undefined(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await store().remove(request.params.id);
      request.log.info({ pipelineId: request.params.id }, 'pipeline deleted');
      return reply.code(204).send();
    },
  );

  app.get(
    '/pipelines/:id/export',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Download the document as JSON (latest, or ?version=)',
        params: idParams,
        querystring: z.strictObject({ version: z.coerce.number().int().min(1).optional() }),
        response: { 200: z.record(z.string(), z.unknown()).describe('The pipeline document'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const stored = await store().getVersion(request.params.id, request.query.version);
      return reply
        .header('content-disposition', `attachment; filename="${fileName(stored.name)}"`)
        .send(stored.document as unknown as Record<string, unknown>);
    },
  );
};
