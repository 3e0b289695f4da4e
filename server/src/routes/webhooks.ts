import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../schemas.ts';

/**
 * Freepik's task callbacks. The signature covers the exact bytes sent, so this plugin
 * (and only this one) keeps the body as the raw string; the engine verifies signature,
 * timestamp and webhook-id before applying the status change.
 */
export const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));

  app.post(
    '/webhooks/freepik',
    {
      // Authenticated by its signature (FREEPIK_WEBHOOK_SECRET), not by a bearer token.
      config: { public: true },
      schema: {
        tags: ['webhooks'],
        summary: 'Freepik task status callbacks (signed: webhook-id, webhook-timestamp, webhook-signature)',
        headers: z
          .object({
            'webhook-id': z.string().optional(),
            'webhook-timestamp': z.string().optional(),
            'webhook-signature': z.string().optional(),
          })
          .loose(),
        // The webhook_url the engine gave Freepik names the node run and attempt, with a tag (HMAC under the webhook secret) proving the pair is ours: an orphaned task announces its owner.
        querystring: z.object({ node_run: z.string().max(64).optional(), attempt: z.string().max(10).optional(), tag: z.string().max(64).optional() }).loose(),
        body: z.string().optional().describe('The task as JSON: {task_id, status, generated}'),
        response: { 204: z.undefined(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await app.services.engine.acceptWebhook({ headers: request.headers, rawBody: request.body ?? '', query: request.query }).catch((error: unknown) => {
        // A refused webhook means runs quietly fall back to polling: say so where operators look.
        request.log.warn({ webhookId: request.headers['webhook-id'], reason: (error as Error).message }, 'webhook refused');
        throw error;
      });
      request.log.info({ webhookId: request.headers['webhook-id'] }, 'webhook accepted');
      return reply.code(204).send();
    },
  );
};
