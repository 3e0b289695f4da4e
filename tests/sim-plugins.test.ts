import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type RunningSimulator, type SimEndpoint, startSimulator } from '@pikflow/freepik-sim';

// Endpoints written against the plug-in interface, exercising each shape it must allow.
const svg = (text: string) => ({ data: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg"><text>${text}</text></svg>`), mime: 'image/svg+xml', ext: 'svg' });

const endpoints: SimEndpoint[] = [
  {
    kind: 'task',
    id: 'test.flat',
    path: '/v1/ai/test-flat',
    mode: 'async',
    body: z.object({ prompt: z.string(), webhook_url: z.string().optional() }),
    createResponse: 'flat',
    statusPaths: ['/v1/ai/test-shared/:taskId', '/v1/ai/test-flat/:taskId'],
    async produce({ body }) {
      return { files: [svg(body.prompt)], extra: { has_nsfw: [false] } };
    },
  },
  {
    kind: 'task',
    id: 'test.no-generated',
    path: '/v1/ai/test-video-pro',
    mode: 'async',
    body: z.object({ prompt: z.string() }),
    createResponse: 'envelope-without-generated',
    statusPaths: ['/v1/ai/test-shared/:taskId'],
    maxConcurrentTasks: 2,
    async produce({ body }) {
      return { files: [svg(body.prompt)] };
    },
  },
  {
    kind: 'task',
    id: 'test.sync',
    path: '/v1/ai/beta/test-sync',
    mode: 'sync',
    body: z.object({ image_url: z.url() }),
    imageFields: [{ name: 'image_url', accepts: 'url' }],
    resultTtlMs: 5 * 60 * 1000,
    latencyMs: 0,
    async produce({ images }) {
      return { files: [svg(`${images.image_url[0].width}`)], extra: { width: images.image_url[0].width } };
    },
    syncResponse: ({ urls, extra }) => ({ original: urls[0], url: urls[0], width: extra.width }),
  },
  {
    kind: 'task',
    id: 'test.webhook-only',
    path: '/v1/ai/test-icon',
    mode: 'webhook-only',
    body: z.object({ prompt: z.string(), webhook_url: z.url() }),
    async produce() {
      return { files: [svg('icon')] };
    },
  },
  {
    kind: 'routes',
    id: 'test.routes',
    register(app, sim) {
      app.get<{ Params: { taskId: string } }>('/v1/ai/test-icon/:taskId/peek', async (request) => {
        const task = sim.getTask(sim.apiKeyOf(request), request.params.taskId);
        sim.count(sim.apiKeyOf(request), 'test.routes', 'poll');
        return task ? { data: { status: task.status } } : { data: null };
      });
    },
  },
];

let sim: RunningSimulator;
const KEY = { 'x-freepik-api-key': 'plug-key' };

async function call(path: string, body?: unknown, form = false) {
  const response = await fetch(`${sim.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...KEY, ...(body === undefined ? {} : { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' }) },
    body: body === undefined ? undefined : form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

beforeAll(async () => {
  sim = await startSimulator({ endpoints, latencyMs: 0 });
});
afterAll(async () => {
  await sim?.close();
});

describe('endpoint plug-in interface', () => {
  it('answers a flat create shape and the standard envelope on the status route, with extra fields', async () => {
    const created = await call('/v1/ai/test-flat', { prompt: 'hello' });
    expect(created.body).toEqual({ task_id: expect.any(String), task_status: 'CREATED', generated: [] });
    const id = created.body.task_id;
    await expect.poll(async () => (await call(`/v1/ai/test-flat/${id}`)).body.data.status).toBe('COMPLETED');
    const status = await call(`/v1/ai/test-shared/${id}`);
    expect(status.body).toEqual({ data: { task_id: id, status: 'COMPLETED', generated: [expect.stringContaining('/__sim/files/')], has_nsfw: [false] } });
  });

  it('answers create without generated, polls on a shared status path, and caps concurrent tasks', async () => {
    sim.configure({ faults: { stuckTasks: 1 } });
    const a = await call('/v1/ai/test-video-pro', { prompt: 'a' });
    const b = await call('/v1/ai/test-video-pro', { prompt: 'b' });
    expect(a.body).toEqual({ data: { task_id: expect.any(String), status: 'CREATED' } });
    const third = await call('/v1/ai/test-video-pro', { prompt: 'c' });
    expect(third.status).toBe(429);
    expect(third.body.message).toMatch(/concurrent/);
    expect((await call(`/v1/ai/test-shared/${b.body.data.task_id}`)).body.data.status).toBe('CREATED');
    // The task has no route of its own path; the list is at the create path.
    expect((await call(`/v1/ai/test-video-pro/${a.body.data.task_id}`)).status).toBe(404);
    expect((await call('/v1/ai/test-video-pro')).body.data).toHaveLength(2);
    sim.configure({ faults: { stuckTasks: 0 } });
    expect(sim.stats().refused.concurrency).toBe(1);
  });

  it('runs sync endpoints with form bodies and a custom response shape', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const refused = await call('/v1/ai/beta/test-sync', { image_url: `data:image/png;base64,${png}` }, true);
    expect(refused.status).toBe(400);
    // Serve a 1×1 PNG from the simulator's own upload service to use as a public URL.
    const form = new FormData();
    form.append('id', crypto.randomUUID());
    form.append('image', new Blob([Buffer.from(png, 'base64')]), 'dot.png');
    const uploaded = (await (await fetch(`${sim.url}/api/v1/file/uploads`, { method: 'POST', body: form })).json()) as any;
    const response = await call('/v1/ai/beta/test-sync', { image_url: uploaded.url }, true);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ original: expect.stringContaining('/__sim/files/'), url: expect.any(String), width: 1 });
    expect(sim.stats().submissions['test.sync']).toBe(1);
  });

  it('has no status route for webhook-only endpoints; custom routes see tasks through the services', async () => {
    const created = await call('/v1/ai/test-icon', { prompt: 'cat', webhook_url: 'http://127.0.0.1:1/x' });
    expect(created.status).toBe(200);
    const id = created.body.data.task_id;
    expect((await call(`/v1/ai/test-icon/${id}`)).status).toBe(404);
    expect((await call('/v1/ai/test-icon')).status).toBe(404);
    await expect.poll(async () => (await call(`/v1/ai/test-icon/${id}/peek`)).body.data.status).toBe('COMPLETED');
    expect((await call('/v1/ai/test-icon', { prompt: 'cat' })).body.invalid_params[0].name).toBe('webhook_url');
  });

  it('applies auth to custom routes too', async () => {
    const response = await fetch(`${sim.url}/v1/ai/test-icon/x/peek`);
    expect(response.status).toBe(401);
  });
});
