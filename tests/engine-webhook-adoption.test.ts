/**
 * The webhook URL as a correlation key (issue 10, item 3): the engine gives Freepik a webhook_url
 * naming the node run and the submission attempt, so a task whose POST answer is lost still
 * announces its owner when it calls back. The owner adopts it from the webhook — no task-list
 * guess, no second submission — even though the answer to its POST never arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { seedPipeline, smallPng, startHarness, type Harness } from './support/engine-harness.ts';
import { startLossyProxy } from './support/lossy-proxy.ts';
import { startMiniServer, type MiniServer } from './support/mini-server.ts';

const SECRET = 'whsec-adoption-test-only';
const GEMINI_PATH = '/v1/ai/gemini-2-5-flash-image-preview';

describe('orphaned task announced by its webhook', () => {
  let sim: RunningSimulator;
  let proxy: Awaited<ReturnType<typeof startLossyProxy>>;
  let server: MiniServer;
  let h: Harness;
  beforeAll(async () => {
    sim = await startSimulator({ latencyMs: 200, rateLimits: false, webhookSecret: SECRET });
    // Gemini's answer is held 3 s and then lost: the task exists and calls back long before.
    proxy = await startLossyProxy(sim.url, GEMINI_PATH, { armed: false, holdMs: 3_000 });
    let harness: Harness | undefined;
    server = await startMiniServer(() => harness!.engine);
    harness = await startHarness({
      kind: 'pglite',
      existingSim: sim,
      config: { freepik: { baseUrl: proxy.url, apiKey: '' }, publicUrl: server.url, webhookSecret: SECRET, submitTimeoutMs: 10_000 },
    });
    h = harness;
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
    await proxy?.close();
    await sim?.close();
  });

  it('is adopted by the node run its URL names, without listing tasks or submitting again', async () => {
    proxy.arm();
    const input = await smallPng(12, 12);
    const { runId } = await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri } });
    const run = await h.engine.waitForRun(runId, 30_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(sim.stats().submissions['freepik.gemini-2-5-flash']).toBe(1);
    expect(h.engine.stats.listRequests).toBe(0);
    const restore = run.nodes.find((n) => n.nodeId === 'restore')!;
    expect(restore.attempt).toBe(1);
    expect(restore.possibleDuplicateCharge).toBeUndefined();
  });
});
