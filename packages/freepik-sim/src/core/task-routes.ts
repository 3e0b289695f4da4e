import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CreateResponseShape, DecodedImage, TaskEndpoint } from '../endpoints/types.ts';
import { SimHttpError, TaskFailure, notFound } from './errors.ts';
import { decodeImageFields } from './images.ts';
import type { SimCore } from './sim-core.ts';
import type { Task } from './tasks.ts';

function createBody(task: Task, shape: CreateResponseShape) {
  switch (shape) {
    case 'flat':
      return { task_id: task.id, task_status: task.status, generated: task.generated };
    case 'envelope-without-generated':
      return { data: { task_id: task.id, status: task.status } };
    default:
      return { data: { task_id: task.id, status: task.status, generated: task.generated } };
  }
}

function statusBody(task: Task) {
  return {
    data: {
      task_id: task.id,
      status: task.status,
      generated: task.generated,
      ...(task.status === 'COMPLETED' ? task.extra : {}),
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Validates the body and decodes its images; counts a 400 as an invalid submission. */
async function readRequest(core: SimCore, endpoint: TaskEndpoint, request: FastifyRequest, apiKey: string) {
  try {
    const body = core.parse(endpoint.body, request.body) as Record<string, unknown>;
    const images = await decodeImageFields(body, endpoint.imageFields ?? [], core.config);
    return { body, images };
  } catch (e) {
    if (e instanceof SimHttpError && e.statusCode === 400) core.count(apiKey, endpoint.id, 'invalid');
    throw e;
  }
}

/** Registers the create, status and list routes of every `task` endpoint. */
export function registerTaskEndpoints(app: FastifyInstance, core: SimCore, endpoints: readonly TaskEndpoint[]): void {
  const statusRoutes = new Map<string, TaskEndpoint[]>();

  for (const endpoint of endpoints) {
    const produce = (body: Record<string, unknown>, images: Record<string, DecodedImage[]>, taskId: string) =>
      endpoint.produce({
        body,
        images,
        endpointId: endpoint.id,
        taskId,
        rng: () => core.rng(),
        maxOutputPixels: core.config.maxOutputPixels,
        maxInputPixels: core.config.maxInputPixels,
      });

    app.post(endpoint.path, async (request, reply) => {
      const apiKey = core.apiKeyOf(request);
      const windows = core.config.createRateLimits[endpoint.id];
      if (windows?.length) {
        const retryAfter = core.limiter.admit(`${apiKey}\n${endpoint.id}`, windows);
        if (retryAfter > 0) {
          core.stats.refused(apiKey, 'rateLimited');
          throw new SimHttpError(429, { message: 'Rate limit exceeded. Please slow down.' }, { 'retry-after': String(retryAfter) });
        }
      }
      const { body, images } = await readRequest(core, endpoint, request, apiKey);
      const origin = core.originOf(request);
      const ttlMs = endpoint.resultTtlMs ?? core.config.resultTtlMs;

      if (endpoint.mode === 'sync') {
        const started = Date.now();
        const taskId = randomUUID();
        if (core.drawFate() === 'fail') throw new SimHttpError(500, { message: 'Internal Server Error' });
        let result;
        try {
          result = await produce(body, images, taskId);
        } catch (e) {
          if (e instanceof TaskFailure) throw new SimHttpError(500, { message: 'Internal Server Error' });
          throw e;
        }
        await sleep(Math.max(0, core.latencyOf(endpoint) - (Date.now() - started)));
        const urls = (result.files ?? []).map((file) => core.storeFile(file, origin, ttlMs));
        const extra = result.extra ?? {};
        core.count(apiKey, endpoint.id, 'submission');
        return endpoint.syncResponse
          ? endpoint.syncResponse({ taskId, urls, extra })
          : { data: { task_id: taskId, status: 'COMPLETED', generated: urls, ...extra } };
      }

      const limit = endpoint.maxConcurrentTasks;
      if (limit !== undefined && core.tasks.unfinished(apiKey, endpoint.concurrencyGroup ?? endpoint.id) >= limit) {
        core.stats.refused(apiKey, 'concurrency');
        throw new SimHttpError(
          429,
          { message: `Too many concurrent tasks: at most ${limit} may run at once for this API key.` },
          { 'retry-after': '10' },
        );
      }

      const task = core.tasks.create({
        endpoint,
        apiKey,
        origin,
        webhookUrl: typeof body.webhook_url === 'string' ? body.webhook_url : undefined,
        fate: core.drawFate(),
        latencyMs: core.latencyOf(endpoint),
        ttlMs,
        produce: (taskId) => produce(body, images, taskId),
      });
      core.count(apiKey, endpoint.id, 'submission');
      request.log.debug({ taskId: task.id, endpoint: endpoint.id, fate: task.fate }, 'task created');
      if (core.drawLostResponse()) {
        // The task exists (and costs credits) but the client never hears of it.
        core.stats.refused(apiKey, 'lostResponses');
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }
      return reply.send(createBody(task, endpoint.createResponse ?? 'envelope'));
    });

    if (endpoint.mode !== 'sync' && (endpoint.list ?? endpoint.mode === 'async')) {
      app.get(endpoint.path, async (request) => {
        const apiKey = core.apiKeyOf(request);
        core.count(apiKey, endpoint.id, 'list');
        return { data: core.tasks.list(apiKey, endpoint.id).map((t) => ({ task_id: t.id, status: t.status })) };
      });
    }
    if (endpoint.mode !== 'async') continue;
    for (const path of endpoint.statusPaths ?? [`${endpoint.path}/:taskId`]) {
      statusRoutes.set(path, [...(statusRoutes.get(path) ?? []), endpoint]);
    }
  }

  // One route per status path; several endpoints may share one (Kling 2.1 pro/std).
  for (const [path, owners] of statusRoutes) {
    app.get<{ Params: { taskId: string } }>(path, async (request) => {
      const apiKey = core.apiKeyOf(request);
      const task = core.tasks.get(request.params.taskId);
      if (!task || task.apiKey !== apiKey || !owners.includes(task.endpoint)) throw notFound();
      core.count(apiKey, task.endpoint.id, 'poll');
      return statusBody(task);
    });
  }
}
