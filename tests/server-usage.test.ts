/**
 * Cost and usage over the REST API: the estimate of a run or batch before anything is spent
 * (with a price table, money), GET /api/usage counting what was sent against the plan's limits,
 * and a daily budget refusing a run with 402 naming the budget before any request.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { http, makePng, startTestServer, upload, waitForRun, type TestServer } from './server-support.ts';

const BUDGET = 5;
let sim: RunningSimulator;
let server: TestServer;
let base: string;
let pipelineId: string;
let photo: string;

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 50, rateLimits: false, seed: 5 });
  // The engine reads these from the environment (engineConfigFromEnv); this file runs in its own worker.
  process.env.BUDGET_PER_DAY = String(BUDGET);
  process.env.FREEPIK_PRICES = JSON.stringify({ currency: 'EUR', perRequest: { 'image-upscaler': 0.1, 'freepik.gemini-2-5-flash': 0.04 } });
  server = await startTestServer({ simulator: sim });
  base = server.url;
  const created = await http(`${base}/api/templates/photo-restoration/pipelines`, { method: 'POST', json: { name: 'Usage' } });
  pipelineId = created.body.id;
  photo = (await upload(base, await makePng(120, 90), 'photo.png')).body.assetId;
});

afterAll(async () => {
  delete process.env.BUDGET_PER_DAY;
  delete process.env.FREEPIK_PRICES;
  await server?.stop();
  await sim?.close();
});

describe('estimate, usage and budgets', () => {
  test('the estimate counts Freepik requests per service for a batch of N, and their price', async () => {
    const { status, body } = await http(`${base}/api/pipelines/${pipelineId}/estimate`, { method: 'POST', json: { count: 10 } });
    expect(status).toBe(200);
    expect(body.runs).toBe(10);
    expect(body.submissionsPerRun).toBeGreaterThanOrEqual(2);
    expect(body.submissions).toBe(10 * body.submissionsPerRun);
    const upscaler = body.services.find((s: { service: string }) => s.service === 'image-upscaler');
    const gemini = body.services.find((s: { service: string }) => s.service === 'freepik.gemini-2-5-flash');
    expect(upscaler.submissions + gemini.submissions).toBe(body.submissions);
    expect(body.cost).toEqual({ currency: 'EUR', amount: Math.round((upscaler.submissions * 0.1 + gemini.submissions * 0.04) * 1e6) / 1e6 });

    const missing = await http(`${base}/api/pipelines/00000000-0000-4000-8000-000000000000/estimate`, { method: 'POST', json: {} });
    expect(missing.status).toBe(404);
  });

  test('runs within the daily budget go through and are counted; the next is refused with 402 before any request', async () => {
    const perRun = (await http(`${base}/api/pipelines/${pipelineId}/estimate`, { method: 'POST', json: {} })).body.submissionsPerRun as number;
    const allowed = Math.floor(BUDGET / perRun);
    const runIds: string[] = [];
    for (let i = 0; i < allowed; i++) {
      const trigger = await http(`${base}/api/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo }, cache: 'off' } });
      expect(trigger.status).toBe(202);
      runIds.push(trigger.body.runId);
    }
    const refused = await http(`${base}/api/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo }, cache: 'off' } });
    expect(refused.status).toBe(402);
    expect(refused.body.error.code).toBe('budget_exceeded');
    expect(refused.body.error.message).toContain('BUDGET_PER_DAY');
    for (const id of runIds) expect((await waitForRun(base, id, 60_000)).status).toBe('succeeded');
    expect(sim.stats().totals.submissions).toBe(allowed * perRun);

    const usage = await http(`${base}/api/usage?days=3`);
    expect(usage.status).toBe(200);
    expect(usage.body.plan).toBe('none');
    const counted = usage.body.services.reduce((sum: number, s: { today: { submissions: number } }) => sum + s.today.submissions, 0);
    expect(counted).toBe(sim.stats().totals.submissions);
    const upscaler = usage.body.services.find((s: { service: string }) => s.service === 'image-upscaler');
    expect(upscaler.today.submissions).toBe(sim.stats().submissions['freepik.upscaler-precision-v2']);
    expect(usage.body.days[0].day).toBe(usage.body.today);

    // The estimate now counts what today already used.
    const after = await http(`${base}/api/pipelines/${pipelineId}/estimate`, { method: 'POST', json: { count: 2 } });
    expect(after.body.services.find((s: { service: string }) => s.service === 'image-upscaler').usedToday).toBe(upscaler.today.submissions);
  });

  test('bad usage and estimate requests are 400s', async () => {
    expect((await http(`${base}/api/usage?days=0`)).status).toBe(400);
    expect((await http(`${base}/api/pipelines/${pipelineId}/estimate`, { method: 'POST', json: { count: 0 } })).status).toBe(400);
  });
});
