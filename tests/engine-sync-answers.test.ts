/**
 * Sync endpoints (issue 10, item 4): Freepik answers remove-background and the like in the POST
 * itself, and that answer is paid for. It is journaled with the task id in one statement, so a
 * process that dies before storing the result is finished from the journal by the next one, with
 * no new submission. A sync answer that was truly lost follows one documented policy: send it once
 * more and mark the node run possibleDuplicateCharge (visible in the run view), or, with
 * AMBIGUOUS_SUBMIT=fail, fail the node with ambiguous_submit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createDb, nodeRuns, runs } from '@pikflow/db';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import type { PipelineDocument } from '@pikflow/pipeline';
import { DB_KINDS } from './support/test-db.ts';
import { oneNodePipeline, smallPng, startHarness, type Harness } from './support/engine-harness.ts';
import { startLossyProxy } from './support/lossy-proxy.ts';
import { startMiniServer, type MiniServer } from './support/mini-server.ts';

const PATH = '/v1/ai/beta/remove-background';
const TYPE = 'freepik.remove-background';

const cutout: PipelineDocument = oneNodePipeline({ id: 'cut', type: TYPE, params: {}, imagePort: 'image_url', outputPort: 'image' }, 'result');

describe.each(DB_KINDS)('sync answers on %s', (kind) => {
  let sim: RunningSimulator;
  let proxy: Awaited<ReturnType<typeof startLossyProxy>>;
  let server: MiniServer;
  let h: Harness;
  const submissions = () => sim.stats().submissions[TYPE] ?? 0;
  beforeAll(async () => {
    sim = await startSimulator({ latencyMs: 100, rateLimits: false });
    proxy = await startLossyProxy(sim.url, PATH, { armed: false });
    let harness: Harness | undefined;
    server = await startMiniServer(() => harness!.engine);
    harness = await startHarness({
      kind,
      existingSim: sim,
      // Asset URLs for the image_url port; no webhook secret, so polling (sync endpoints need neither).
      config: { freepik: { baseUrl: proxy.url, apiKey: '' }, publicUrl: server.url, submitTimeoutMs: 2_000 },
    });
    h = harness;
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
    await proxy?.close();
    await sim?.close();
  });

  const startCutout = async () => {
    const input = await smallPng(20, 20);
    return (await h.engine.startRun({ document: cutout, inputs: { photo: input.dataUri }, cache: { mode: 'off' } })).runId;
  };

  /** Re-reads the run until it ends (waitForRun would replay the rewound run's old run.finished event). */
  const settled = async (runId: string, timeoutMs = 50_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const run = (await h.engine.getRun(runId))!;
      if (run.status !== 'running' || Date.now() > until) return run;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  /** Puts a finished run back where a process killed after the sync POST answered left it. */
  const rewindToSubmitted = async (runId: string, keepJournal: boolean) => {
    await h.stopEngine(); // the harness keeps the database
    const handle = await createDb(h.fresh.options);
    await handle.db
      .update(nodeRuns)
      .set({ status: 'submitted', outputs: null, finishedAt: null, nextPollAt: null, ...(keepJournal ? {} : { syncResult: null }) })
      .where(and(eq(nodeRuns.runId, runId), eq(nodeRuns.nodeId, 'cut')));
    await handle.db.update(nodeRuns).set({ status: 'pending', outputs: null, inputs: null, finishedAt: null }).where(and(eq(nodeRuns.runId, runId), eq(nodeRuns.nodeId, 'result')));
    await handle.db.update(runs).set({ status: 'running', outputs: null, finishedAt: null }).where(eq(runs.id, runId));
    await handle.close();
    await h.restartEngine();
  };

  it('a process killed after the answer was journaled: the next one completes from the journal, no new submission', { timeout: 120_000 }, async () => {
    const runId = await startCutout();
    expect((await h.engine.waitForRun(runId, 20_000)).status).toBe('succeeded');
    const before = submissions();
    await rewindToSubmitted(runId, true);
    const run = await settled(runId);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(submissions()).toBe(before);
    expect(run.nodes.find((n) => n.nodeId === 'cut')!.possibleDuplicateCharge).toBeUndefined();
  });

  it('an answer that never reached the journal: re-sent once, marked possibleDuplicateCharge, the run succeeds', { timeout: 120_000 }, async () => {
    const runId = await startCutout();
    expect((await h.engine.waitForRun(runId, 20_000)).status).toBe('succeeded');
    const before = submissions();
    await rewindToSubmitted(runId, false);
    const run = await settled(runId);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(submissions()).toBe(before + 1);
    const cut = run.nodes.find((n) => n.nodeId === 'cut')!;
    expect(cut.possibleDuplicateCharge).toBe(true);
    expect(cut.attempt).toBe(2);
  });

  it('a lost POST answer: re-sent once and marked', async () => {
    proxy.arm();
    const before = submissions();
    const runId = await startCutout();
    const run = await h.engine.waitForRun(runId, 30_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(submissions()).toBe(before + 2);
    expect(run.nodes.find((n) => n.nodeId === 'cut')!.possibleDuplicateCharge).toBe(true);
  });

  it('AMBIGUOUS_SUBMIT=fail refuses to re-send', async () => {
    await h.stopEngine();
    await h.restartEngine({ ambiguousSubmit: 'fail' });
    proxy.arm();
    const before = submissions();
    const runId = await startCutout();
    const run = await h.engine.waitForRun(runId, 30_000);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'ambiguous_submit', nodeId: 'cut' });
    expect(run.error!.message).toContain('AMBIGUOUS_SUBMIT=fail');
    expect(submissions()).toBe(before + 1);
  });
});
