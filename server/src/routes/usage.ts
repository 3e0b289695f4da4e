import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, idParams } from '../schemas.ts';

const counts = z.object({ submissions: z.number(), refused: z.number(), statusReads: z.number(), lists: z.number() });

const usageSchema = z.object({
  plan: z.enum(['free', 'premium', 'none']),
  today: z.string().describe('UTC day'),
  services: z.array(
    z.object({
      service: z.string(),
      limits: z.object({ perDay: z.number().nullable(), available: z.boolean(), perSecond: z.number().optional(), concurrent: z.number().optional() }),
      today: counts,
      remainingToday: z.number().optional(),
    }),
  ),
  days: z.array(z.object({ day: z.string(), services: z.record(z.string(), counts) })),
});

const estimateSchema = z.object({
  runs: z.number(),
  submissionsPerRun: z.number(),
  submissions: z.number(),
  cachedSubmissions: z.number().describe('Submissions the result cache spares (earlier identical results, identical items)'),
  cacheAware: z.boolean().describe('The inputs were given and the cache consulted'),
  fitsToday: z.boolean(),
  resetsAt: z.string().describe("When today's (UTC) daily quotas reset"),
  services: z.array(
    z.object({
      service: z.string(),
      endpoints: z.record(z.string(), z.number()),
      submissions: z.number(),
      cached: z.number().optional(),
      perDay: z.number().nullable(),
      usedToday: z.number(),
      pendingToday: z.number(),
      remainingToday: z.number().optional(),
      fitsToday: z.boolean(),
      problem: z.string().optional(),
    }),
  ),
  cost: z.object({ currency: z.string(), amount: z.number(), approximate: z.boolean().optional() }).optional(),
  nodes: z
    .array(z.object({ nodeId: z.string(), nodeType: z.string(), service: z.string(), submissions: z.number(), cached: z.number(), cost: z.number().optional() }))
    .describe("Per Freepik node: its submissions, those the cache spares, and its price when priced per request (the editor's node badges)"),
});

/** Freepik usage against the plan's limits, and estimates before anything is spent (engine usage.ts). */
export const usageRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/usage',
    {
      schema: {
        tags: ['usage'],
        summary: "Today's (UTC) and recent days' Freepik requests per service against the plan's limits",
        querystring: z.strictObject({ days: z.coerce.number().int().min(1).max(90).default(7).describe('How many days back, today included') }),
        response: { 200: usageSchema, ...errorResponses },
      },
    },
    async (request) => app.services.engine.usage(request.query.days),
  );

  app.post(
    '/pipelines/:id/estimate',
    {
      // A batch's items may be many.
      bodyLimit: app.services.config.limits.bodyBytes,
      schema: {
        tags: ['usage'],
        summary: 'Freepik requests per service (and money, with FREEPIK_PRICES) for a run or a batch of N runs, against today\'s quotas',
        params: idParams,
        body: z
          .strictObject({
            count: z.number().int().min(1).max(1_000_000).default(1).describe('Runs (batch items), when their inputs are not given'),
            version: z.number().int().min(1).optional().describe('Pipeline version (default: the latest)'),
            inputs: z.record(z.string(), z.unknown()).optional().describe("One run's inputs: nodes whose result the cache holds cost nothing"),
            items: z
              .array(z.strictObject({ inputs: z.record(z.string(), z.unknown()) }))
              .min(1)
              .max(100_000)
              .optional()
              .describe("A batch's items (as POST /batches takes them): the cache's results and identical items cost nothing"),
            cache: z.enum(['use', 'refresh', 'off']).optional().describe('The cache mode the runs will use (default use)'),
          })
          .refine((b) => !(b.inputs && b.items), { message: 'send inputs or items, not both' })
          .default({ count: 1 }),
        response: { 200: estimateSchema, ...errorResponses },
      },
    },
    async (request) => {
      const stored = await app.services.pipelines.getVersion(request.params.id, request.body.version);
      const { count, inputs, items, cache } = request.body;
      const runs = items ? items.map((i) => i.inputs) : inputs ? [inputs] : undefined;
      return app.services.engine.estimate(stored.document, runs?.length ?? count, { ...(runs ? { items: runs } : {}), ...(cache ? { cacheMode: cache } : {}) });
    },
  );
};
