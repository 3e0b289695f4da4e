/**
 * The result cache over the REST API: the trigger's `cache`, `refresh` and `reroll` options,
 * `cached` nodes with their source run in run views and SSE events, run usage counts, and
 * POST /api/runs/:id/retry. On PGlite and PostgreSQL: the cache lives in the database.
 */
import { randomUUID } from 'node:crypto';
import type { NodeRunView, RunView } from '@pikflow/pipeline';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { http, makePng, readEvents, startTestServer, upload, waitForRun, type TestServer } from './server-support.ts';
import { DB_KINDS, freshDatabase, type FreshDatabase } from './support/test-db.ts';

/** Nodes that do work (not pipeline inputs or outputs): what the cache is about. */
const working = (run: RunView): NodeRunView[] => run.nodes.filter((n) => n.nodeType !== 'input.image' && n.nodeType !== 'output');
const byId = (run: RunView, id: string) => run.nodes.find((n) => n.nodeId === id)!;

describe.each(DB_KINDS)('result cache over REST on %s', (kind) => {
  let sim: RunningSimulator;
  let server: TestServer;
  let base: string;
  let pipelineId: string;
  let photo: string;
  let first: RunView;
  let database: FreshDatabase | undefined;

  const dbEnv = async (): Promise<Record<string, string>> => {
    if (kind === 'pglite') return {};
    database = await freshDatabase('postgres');
    return { DATABASE_URL: database.databaseUrl! };
  };

  async function trigger(body: Record<string, unknown>): Promise<RunView> {
    const response = await http<RunView>(`${base}/api/pipelines/${pipelineId}/runs?wait=true&timeout=90`, { method: 'POST', json: { inputs: { photo }, ...body } });
    expect(response.status, response.text).toBe(200);
    return response.body;
  }

  beforeAll(async () => {
    sim = await startSimulator({ latencyMs: 200 });
    server = await startTestServer({ simulator: sim, env: await dbEnv() });
    base = server.url;
    const created = await http(`${base}/api/templates/photo-restoration/pipelines`, { method: 'POST', json: { name: 'Cached restoration' } });
    pipelineId = created.body.id;
    photo = (await upload(base, await makePng(60, 40), 'old.png')).body.assetId;
  });

  afterAll(async () => {
    await server?.stop();
    await sim?.close();
    await database?.drop();
  });

  test('the second identical trigger is served from the cache: cached nodes, their source run, no Freepik request', async () => {
    first = await trigger({});
    expect(first.status).toBe('succeeded');
    expect(first.usage).toMatchObject({ cachedNodes: 0, freepikSubmissions: 2 });

    sim.resetStats();
    const second = await trigger({});
    expect(second.status).toBe('succeeded');
    expect(sim.stats().totals.submissions).toBe(0);
    expect(working(second).length).toBeGreaterThanOrEqual(3);
    for (const n of working(second)) expect(n, n.nodeId).toMatchObject({ status: 'cached', cachedFrom: { runId: first.id } });
    expect(second.usage).toEqual({ cachedNodes: working(second).length, freepikSubmissions: 0, freepikRequests: 0 });
    expect(second.outputs).toEqual(first.outputs);

    // The run's SSE history: node.completed with status 'cached' for each of them, nothing submitted.
    const stream = await readEvents(`${base}/api/runs/${second.id}/events`, { timeoutMs: 30_000 });
    const completed = stream.events.filter((e) => e.type === 'node.completed' && working(second).some((n) => n.nodeId === e.nodeId));
    expect(completed).toHaveLength(working(second).length);
    for (const e of completed) expect(e.data).toMatchObject({ status: 'cached', cachedFrom: { runId: first.id } });
    expect(stream.events.some((e) => e.type === 'node.submitted')).toBe(false);
  });

  test('cache "off" pays again; refresh re-runs a node and what follows it; reroll gives Gemini a new variation', async () => {
    sim.resetStats();
    const off = await trigger({ cache: 'off' });
    expect(off.status).toBe('succeeded');
    expect(sim.stats().totals.submissions).toBe(2);
    for (const n of working(off)) expect(n.status).toBe('succeeded');

    sim.resetStats();
    const refreshed = await trigger({ refresh: ['upscale'] });
    expect(refreshed.status).toBe('succeeded');
    expect(sim.stats().submissions['freepik.upscaler-precision-v2']).toBe(1);
    expect(sim.stats().submissions['freepik.gemini-2-5-flash'] ?? 0).toBe(0);
    expect(byId(refreshed, 'restore').status).toBe('cached');
    expect(byId(refreshed, 'upscale').status).toBe('succeeded');

    sim.resetStats();
    const rerolled = await trigger({ reroll: ['restore'] });
    expect(rerolled.status).toBe('succeeded');
    expect(sim.stats().submissions['freepik.gemini-2-5-flash']).toBe(1);
    expect(sim.stats().submissions['freepik.upscaler-precision-v2']).toBe(1);
    for (const n of working(rerolled)) expect(n.status).toBe('succeeded');
  });

  test('unknown node ids and cache modes are 400s naming the field', async () => {
    const badNode = await http(`${base}/api/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo }, refresh: ['nope'] } });
    expect(badNode.status).toBe(400);
    expect(badNode.body.error).toMatchObject({ code: 'invalid_input', field: 'refresh' });
    expect(badNode.body.error.message).toContain('nope');
    const badMode = await http(`${base}/api/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo }, cache: 'sometimes' } });
    expect(badMode.status).toBe(400);
  });

  test('POST /api/runs/:id/retry starts a run of the same version and inputs that reuses what the original completed', async () => {
    sim.resetStats();
    const retry = await http(`${base}/api/runs/${first.id}/retry`, { method: 'POST' });
    expect(retry.status, retry.text).toBe(202);
    expect(retry.body).toEqual({ runId: expect.any(String), retryOf: first.id });
    expect(retry.headers.get('location')).toBe(`/api/runs/${retry.body.runId}`);
    const run = await waitForRun(base, retry.body.runId);
    expect(run.status).toBe('succeeded');
    expect(run.pipelineVersion).toBe(first.pipelineVersion);
    expect(run.inputs).toEqual(first.inputs);
    for (const n of working(run)) expect(n, n.nodeId).toMatchObject({ status: 'cached', cachedFrom: { runId: first.id } });
    expect(sim.stats().totals.submissions).toBe(0);

    expect((await http(`${base}/api/runs/${randomUUID()}/retry`, { method: 'POST' })).status).toBe(404);

    // A run still going cannot be retried yet.
    sim.configure({ latencyMs: 20_000 });
    try {
      const slow = await http(`${base}/api/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo }, cache: 'off' } });
      const early = await http(`${base}/api/runs/${slow.body.runId}/retry`, { method: 'POST' });
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('conflict');
      await http(`${base}/api/runs/${slow.body.runId}/cancel`, { method: 'POST' });
    } finally {
      sim.configure({ latencyMs: 200 });
    }
  });
});
