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
  fitsToday: z.boolean(),
  services: z.array(
    z.object({
      service: z.string(),
      endpoints: z.record(z.string(), z.number()),
      submissions: z.number(),
      perDay: z.number().nullable(),
      usedToday: z.number(),
      pendingToday: z.number(),
      remainingToday: z.number().optional(),
      fitsToday: z.boolean(),
      problem: z.string().optional(),
    }),
  ),
  cost: z.object({ currency: z.string(), amount: z.number() }).optional(),
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
      schema: {
        tags: ['usage'],
        summary: 'Freepik requests per service (and money, with FREEPIK_PRICES) for a run or a batch of N runs, against today\'s quotas',
        params: idParams,
        body: z
          .strictObject({
            count: z.number().int().min(1).max(1_000_000).default(1).describe('Runs (batch items)'),
            version: z.number().int().min(1).optional().describe('Pipeline version (default: the latest)'),
          })
          .default({ count: 1 }),
        response: { 200: estimateSchema, ...errorResponses },
      },
    },
    async (request) => {
      const stored = await app.services.pipelines.getVersion(request.params.id, request.body.version);
      return app.services.engine.estimate(stored.document, request.body.count);
    },
  );
};
