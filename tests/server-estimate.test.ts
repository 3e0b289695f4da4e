/**
 * The estimate before anything is spent, as a user reads it over REST:
 * - aware of the result cache: with the runs' inputs, nodes whose result the cache holds cost
 *   nothing (a second identical run estimates 0, and indeed sends nothing), and identical items
 *   of a batch share one submission;
 * - a price table per request per endpoint, and per output megapixel for upscalers (input size ×
 *   scale_factor²; an input not known before the run is assumed and the cost says approximate);
 * - fail-fast: a batch that cannot finish today says so in its 202, or is refused (429) with
 *   onQuotaExhausted "fail".
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { http, makePng, startTestServer, upload, waitForRun, type TestServer } from './server-support.ts';

let sim: RunningSimulator;
let server: TestServer;
let base: string;
let restoration: string;
let exporting: string;

const GEMINI = 'freepik.gemini-2-5-flash';
const estimate = (pipelineId: string, json: unknown) => http(`${base}/api/pipelines/${pipelineId}/estimate`, { method: 'POST', json });
const photoOf = async (width: number, height: number) => (await upload(base, await makePng(width, height), `p${width}.png`)).body.assetId as string;

/** The engine reads these from the environment (engineConfigFromEnv); this file runs in its own worker. */
const ENV = {
  FREEPIK_PRICES: JSON.stringify({ currency: 'EUR', perRequest: { [GEMINI]: 0.04 }, perMegapixel: { 'image-upscaler': 0.01 }, assumedMegapixels: 1 }),
  FREEPIK_QUOTAS: JSON.stringify({ 'image-upscaler': { perDay: 3 } }),
};

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 30, rateLimits: false, seed: 9 });
  Object.assign(process.env, ENV);
  server = await startTestServer({ simulator: sim });
  base = server.url;
  restoration = (await http(`${base}/api/templates/photo-restoration/pipelines`, { method: 'POST', json: { name: 'Restore' } })).body.id;
  exporting = (await http(`${base}/api/templates/photo-export/pipelines`, { method: 'POST', json: { name: 'Export' } })).body.id;
});

afterAll(async () => {
  await server?.stop();
  await sim?.close();
  for (const key of Object.keys(ENV)) delete process.env[key];
});

describe('the estimate', () => {
  test('knows the result cache: a second identical run estimates 0 and sends nothing; identical batch items share', async () => {
    const photo = await photoOf(100, 80);
    const other = await photoOf(101, 80);
    const first = await estimate(restoration, { inputs: { photo } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ runs: 1, submissions: 2, cachedSubmissions: 0, cacheAware: true });
    // Gemini per request; the upscale per output megapixel of an image Gemini has not made yet (1 MP assumed × 4²).
    expect(first.body.cost).toEqual({ currency: 'EUR', amount: 0.04 + 16 * 0.01, approximate: true });
    // Per node (the editor's badges): Gemini priced per request; the upscaler per megapixel, so no per-request price.
    const byNode = Object.fromEntries((first.body.nodes as { nodeId: string }[]).map((n) => [n.nodeId, n]));
    expect(Object.keys(byNode).sort()).toEqual(['restore', 'upscale']);
    expect(byNode.restore).toMatchObject({ nodeId: 'restore', nodeType: GEMINI, submissions: 1, cached: 0, cost: 0.04 });
    expect(byNode.upscale).toMatchObject({ service: 'image-upscaler', submissions: 1, cached: 0 });
    expect(byNode.upscale).not.toHaveProperty('cost');

    const run = await http(`${base}/api/pipelines/${restoration}/runs`, { method: 'POST', json: { inputs: { photo } } });
    expect((await waitForRun(base, run.body.runId, 60_000)).status).toBe('succeeded');
    const sent = sim.stats().totals.submissions;
    expect(sent).toBe(2);

    const again = await estimate(restoration, { inputs: { photo } });
    expect(again.body).toMatchObject({ submissions: 0, cachedSubmissions: 2, cacheAware: true, cost: { amount: 0 } });
    expect(again.body.services.find((s: { service: string }) => s.service === 'image-upscaler')).toMatchObject({ submissions: 0, cached: 1 });
    expect(again.body.nodes.map((n: { nodeId: string; submissions: number; cached: number }) => [n.nodeId, n.submissions, n.cached])).toEqual([
      ['restore', 0, 1],
      ['upscale', 0, 1],
    ]);
    const second = await http(`${base}/api/pipelines/${restoration}/runs`, { method: 'POST', json: { inputs: { photo } } });
    expect((await waitForRun(base, second.body.runId, 60_000)).status).toBe('succeeded');
    expect(sim.stats().totals.submissions).toBe(sent);

    // A batch: the cached photo twice and a new one → only the new one submits; with the cache off, everything does.
    const items = [{ inputs: { photo } }, { inputs: { photo: other } }, { inputs: { photo } }, { inputs: { photo: other } }];
    const batch = await estimate(restoration, { items });
    expect(batch.body).toMatchObject({ runs: 4, submissionsPerRun: 2, submissions: 2, cachedSubmissions: 6 });
    expect((await estimate(restoration, { items, cache: 'off' })).body).toMatchObject({ submissions: 8, cachedSubmissions: 0 });
    // Without inputs nothing is known: every node of every run counts.
    expect((await estimate(restoration, { count: 4 })).body).toMatchObject({ submissions: 8, cacheAware: false });
  });

  test('prices upscales per output megapixel of the input it is given', async () => {
    const photo = await photoOf(200, 100); // 0.02 MP × 4² = 0.32 MP
    const { body } = await estimate(exporting, { inputs: { restored: photo } });
    expect(body.submissions).toBe(1);
    expect(body.cost).toEqual({ currency: 'EUR', amount: 0.0032 });
    const two = await estimate(exporting, { items: [{ inputs: { restored: photo } }, { inputs: { restored: await photoOf(100, 100) } }] });
    expect(two.body.cost).toEqual({ currency: 'EUR', amount: 0.0048 }); // + 0.01 MP × 4²
  });

  test('a batch that cannot finish today says so in its 202, and is refused with onQuotaExhausted "fail"', async () => {
    // One upscale of 3 is used today; 4 new photos need 4.
    const photos = await Promise.all([120, 121, 122, 123].map((w) => photoOf(w, 90)));
    const items = photos.map((photo) => ({ inputs: { photo } }));
    const before = sim.stats().totals.submissions;
    const refused = await http(`${base}/api/pipelines/${restoration}/batches`, { method: 'POST', json: { items, onQuotaExhausted: 'fail' } });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('quota_exhausted');
    expect(refused.body.error.message).toContain('image-upscaler needs 4 requests and has 2 of 3 left today; 2 would wait until the quota resets at');
    expect(sim.stats().totals.submissions).toBe(before);

    const started = await http(`${base}/api/pipelines/${restoration}/batches`, { method: 'POST', json: { items, maxInFlight: 1 } });
    expect(started.status).toBe(202);
    expect(started.body.estimate).toMatchObject({ fitsToday: false, submissions: 8 });
    expect(started.body.warning).toContain('This batch cannot finish today: image-upscaler needs 4 requests and has 2 of 3 left today');
    await http(`${base}/api/batches/${started.body.batchId}/cancel`, { method: 'POST' });
  });
});
