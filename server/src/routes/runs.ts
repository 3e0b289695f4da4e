import { createHash } from 'node:crypto';
import { PikflowError } from '@pikflow/catalog';
import type { RunView } from '@pikflow/pipeline';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, idParams, runStatusSchema, runViewSchema, uuidParam } from '../schemas.ts';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const TRIGGER_BODY_REQUIRED = 'a JSON object body with "inputs" is required, e.g. {"inputs": {"photo": "<asset id>"}} (send {} when the pipeline has no inputs)';

/** SHA-256 of the trigger request (pipeline id and body, keys sorted): "the same body" for Idempotency-Key. */
function requestFingerprint(pipelineId: string, body: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, canonical(x)])) : v;
  return createHash('sha256').update(JSON.stringify(canonical({ pipelineId, body }))).digest('hex');
}
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const nodeIdSchema = z.string().min(1).max(128);

export const runRoutes: FastifyPluginAsyncZod = async (app) => {
  const { config } = app.services;

  app.post(
    '/pipelines/:id/runs',
    {
      bodyLimit: config.limits.bodyBytes,
      schema: {
        tags: ['runs'],
        summary: 'REST trigger: start a run of a saved pipeline',
        description:
          'Inputs are values per input-node name: images as an asset id (POST /api/assets), an http(s) URL or a data:image/…;base64 URI; text as a string. ' +
          'Answers 202 {runId} at once; with ?wait=true it answers 200 with the finished run, or 202 with the run as it stands when `timeout` seconds pass.',
        params: idParams,
        headers: z.looseObject({
          'idempotency-key': z
            .string()
            .min(1)
            .max(255)
            .optional()
            .describe('Retry-safe trigger: the same key with the same body returns the run the first request started (header idempotent-replayed: true); with a different body, 422'),
        }),
        querystring: z.strictObject({
          wait: flag.optional().describe('Hold the response until the run ends (or the timeout)'),
          timeout: z.coerce
            .number()
            .positive()
            .max(config.limits.waitMaxSeconds, `at most ${config.limits.waitMaxSeconds} seconds`)
            .optional()
            .describe(`Seconds to wait with wait=true (default ${config.limits.waitDefaultSeconds}, at most ${config.limits.waitMaxSeconds})`),
        }),
        body: z
          .strictObject(
            {
              inputs: z.record(z.string(), z.unknown()).default({}).describe('Values per input name'),
              version: z.number().int().min(1).optional().describe('Pipeline version to run (default: the latest)'),
              cache: z
                .enum(['use', 'refresh', 'off'])
                .optional()
                .describe('Result cache: use (default) reuses identical earlier node results, refresh re-runs every node and overwrites them, off bypasses the cache'),
              refresh: z.array(nodeIdSchema).max(500).optional().describe('Node ids to re-run, with everything downstream ("run from here")'),
              reroll: z.array(nodeIdSchema).max(500).optional().describe('Node ids to give a new variation (a new re-roll nonce); everything downstream runs again'),
              onQuotaExhausted: z.enum(['wait', 'fail']).optional().describe('At a used-up daily Freepik quota: wait (default) for the next UTC day, or fail: the node fails with quota_exhausted (service, limit, reset time), and a run or batch that does not fit in what is left of today is refused (429) before it starts'),
            },
            { error: (issue) => (issue.code === 'invalid_type' ? TRIGGER_BODY_REQUIRED : undefined) },
          )
          .default({ inputs: {} }),
        response: {
          200: runViewSchema,
          202: runViewSchema.partial().extend({ runId: z.string() }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { engine, pipelines } = app.services;
      const stored = await pipelines.getVersion(request.params.id, request.body.version);
      // The engine validates the document and the inputs (one place); a draft version is named here.
      const key = request.headers['idempotency-key'];
      const idempotency = key ? { key, fingerprint: requestFingerprint(request.params.id, request.body) } : undefined;
      const { runId, replayed } = await engine
        .startRun({
          pipelineId: stored.pipelineId,
          pipelineVersionId: stored.versionId,
          document: stored.document,
          inputs: request.body.inputs,
          cache: { mode: request.body.cache, refresh: request.body.refresh, reroll: request.body.reroll },
          ...(request.body.onQuotaExhausted ? { onQuotaExhausted: request.body.onQuotaExhausted } : {}),
          idempotency,
        })
        .catch((error: unknown) => {
          if (error instanceof PikflowError && error.code === 'validation_failed' && error.problems) {
            throw new PikflowError('validation_failed', `Version ${stored.version} of pipeline "${stored.name}" cannot run: ${error.problems.map((p) => p.message).join('; ')}`, {
              nodeId: error.nodeId,
              field: error.field,
              problems: error.problems,
            });
          }
          throw error;
        });
      request.log.info({ runId, pipelineId: stored.pipelineId, version: stored.version, ...(replayed ? { replayed } : {}) }, replayed ? 'run trigger replayed (Idempotency-Key)' : 'run started');
      reply.header('location', `/api/runs/${runId}`);
      if (replayed) reply.header('idempotent-replayed', 'true');
      if (!request.query.wait) return reply.code(202).send({ runId });

      const timeoutMs = (request.query.timeout ?? config.limits.waitDefaultSeconds) * 1000;
      const view = await engine.waitForRun(runId, timeoutMs);
      if (TERMINAL.has(view.status)) return reply.code(200).send(view);
      return reply.code(202).send({ ...view, runId });
    },
  );

  app.get(
    '/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Run history, newest first (paginated with nextCursor)',
        querystring: z.strictObject({
          pipelineId: uuidParam.optional(),
          status: runStatusSchema.optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z.string().max(500).optional(),
        }),
        response: { 200: z.object({ runs: z.array(runViewSchema), nextCursor: z.string().optional() }), ...errorResponses },
      },
    },
    async (request) => app.services.engine.listRuns(request.query),
  );

  app.get(
    '/runs/:id',
    {
      schema: {
        tags: ['runs'],
        summary: 'A run: status, per-node status, timings, task ids, outputs (asset URLs), errors',
        params: idParams,
        response: { 200: runViewSchema, ...errorResponses },
      },
    },
    async (request) => getRunOr404(request.params.id),
  );

  app.post(
    '/runs/:id/cancel',
    {
      schema: {
        tags: ['runs'],
        summary: 'Cancel a run (nodes not finished are cancelled; a finished run is returned unchanged)',
        params: idParams,
        response: { 200: runViewSchema, ...errorResponses },
      },
    },
    async (request) => {
      await getRunOr404(request.params.id);
      const view = await app.services.engine.cancelRun(request.params.id);
      request.log.info({ runId: request.params.id, status: view.status }, 'run cancel requested');
      return view;
    },
  );

  app.post(
    '/runs/:id/retry',
    {
      schema: {
        tags: ['runs'],
        summary: 'Retry a finished run: a new run of the same version and inputs that reuses every node the original completed',
        description:
          'Only the failed, skipped and cancelled nodes execute; the others are `cached` (cachedFrom names the run that produced them). 409 while the run is still going.',
        params: idParams,
        response: { 202: z.object({ runId: z.string(), retryOf: z.string() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { runId } = await app.services.engine.retryRun(request.params.id);
      request.log.info({ runId, retryOf: request.params.id }, 'run retried');
      reply.header('location', `/api/runs/${runId}`);
      return reply.code(202).send({ runId, retryOf: request.params.id });
    },
  );

  async function getRunOr404(runId: string): Promise<RunView> {
    const view = await app.services.engine.getRun(runId);
    if (!view) throw new PikflowError('not_found', `Run ${runId} does not exist`, { field: 'id' });
    return view;
  }
};
