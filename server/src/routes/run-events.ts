import type { OutgoingHttpHeaders } from 'node:http';
import { PikflowError } from '@pikflow/catalog';
import type { RunEvent } from '@pikflow/pipeline';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, idParams } from '../schemas.ts';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

function frame(event: RunEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Live progress as Server-Sent Events: the run's stored events after Last-Event-ID (so
 * a reconnecting client misses nothing), then live ones from any worker, a comment line
 * every few seconds so proxies keep the stream open, and the end after run.finished.
 */
export const runEventRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/runs/:id/events',
    {
      schema: {
        tags: ['runs'],
        summary: 'Live progress of a run as Server-Sent Events (text/event-stream)',
        description:
          'Each event: `id` (resume with the Last-Event-ID header or ?lastEventId=), `event` (run.queued, node.started, node.submitted, node.completed, run.finished, …) and `data` (the RunEvent as JSON). The stream ends after run.finished.',
        params: idParams,
        querystring: z.strictObject({ lastEventId: z.coerce.number().int().min(0).optional() }),
        headers: z.object({ 'last-event-id': z.coerce.number().int().min(0).optional() }).loose(),
        response: {
          200: {
            description: 'The event stream (ends after run.finished)',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          204: z.undefined().describe('Resumed after the last event of a finished run: nothing left to send'),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { engine, config } = app.services;
      const runId = request.params.id;
      const run = await engine.getRun(runId);
      if (!run) throw new PikflowError('not_found', `Run ${runId} does not exist`, { field: 'id' });
      const after = request.headers['last-event-id'] ?? request.query.lastEventId ?? 0;
      const log = request.log.child({ runId });

      reply.hijack();
      const res = reply.raw;
      // A client resuming a run that has already ended (EventSource reconnects by itself
      // after every close) gets 204 when nothing is left to send: that stops the reconnects.
      const alreadyEnded = TERMINAL.has(run.status) && after > 0;
      let opened = false;
      const open = () => {
        if (opened) return;
        opened = true;
        res.writeHead(200, {
          // A hijacked reply skips Fastify's send: carry the security headers set so far over by hand.
          ...(reply.getHeaders() as OutgoingHttpHeaders),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(`retry: 2000\n: run ${runId}\n\n`);
      };
      if (!alreadyEnded) open();

      let closed = false;
      let unsubscribe: (() => void) | undefined;
      const heartbeat = setInterval(() => {
        if (!closed && opened) res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
      }, config.limits.sseHeartbeatMs);
      heartbeat.unref();
      const nothingLeft = alreadyEnded
        ? setTimeout(() => {
            if (opened || closed) return;
            res.writeHead(204, reply.getHeaders() as OutgoingHttpHeaders).end();
            close('nothing left to send');
          }, 750)
        : undefined;

      const close = (why: string) => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        if (nothingLeft) clearTimeout(nothingLeft);
        unsubscribe?.();
        unsubscribe = undefined;
        if (!res.writableEnded) res.end();
        log.debug({ why }, 'event stream closed');
      };

      request.raw.on('close', () => close('client disconnected'));
      res.on('error', () => close('write failed'));

      let finished = false;
      unsubscribe = engine.subscribe(runId, after, (event) => {
        if (closed) return;
        open();
        res.write(frame(event));
        if (event.type === 'run.finished') {
          finished = true;
          // Let the write flush before ending; the unsubscribe happens in close().
          setImmediate(() => close('run finished'));
        }
      });
      // The replay may have delivered run.finished before subscribe returned.
      if (closed || finished) {
        unsubscribe?.();
        unsubscribe = undefined;
      }
      log.debug({ after }, 'event stream opened');
    },
  );
};
