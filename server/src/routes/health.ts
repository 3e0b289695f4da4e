import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { healthViewSchema } from '../schemas.ts';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        summary: 'Whether the server is up, and what it runs against',
        response: { 200: healthViewSchema },
      },
    },
    async () => {
      const { mode, database, version, engine } = app.services;
      return {
        status: 'ok' as const,
        mode,
        database: database.kind,
        version,
        webhooks: Boolean(engine.config.publicUrl && engine.config.webhookSecret),
      };
    },
  );
};
