/**
 * Batch runs (engine batches.ts): every item an ordinary run, started by the admission loop
 * while capacity frees.
 * - A 60-item batch of the restoration pipeline against a 5/s upscaler (simulator and engine):
 *   it completes with every item succeeded, no node failed, never more than maxInFlight runs
 *   unfinished at once (on PostgreSQL admitted by two workers), and the estimate made when it
 *   started equals the submissions the simulator counted.
 * - Pause stops admission (runs in flight finish), resume carries on; cancel stops it and
 *   cancels the unfinished runs.
 * - Refused before any request: an item with a private URL, a batch over BUDGET_PER_BATCH.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { isPikflowError } from '@pikflow/catalog';
import { freepikRequests, nodeRuns, runs, type DbHandle } from '@pikflow/db';
import type { BatchView } from '@pikflow/pipeline';
import type { PikflowEngine } from '@pikflow/engine';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { maxOverlap, seedPipeline, smallPng, startHarness, startWorkers, type WorkerSet } from './support/engine-harness.ts';
import { DB_KINDS, freshDatabase, type FreshDatabase } from './support/test-db.ts';

const UPSCALER = 'freepik.upscaler-precision-v2';
const GEMINI = 'freepik.gemini-2-5-flash';
const doc = seedPipeline(2);

async function until(engine: PikflowEngine, batchId: string, done: (b: BatchView) => boolean, timeoutMs = 180_000): Promise<BatchView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await engine.getBatch(batchId))!;
    if (done(view) || Date.now() > deadline) return view;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.each(DB_KINDS)('batches on %s', (kind) => {
  let sim: RunningSimulator;
  let fresh: FreshDatabase;
  let workers: WorkerSet;
  let engine: PikflowEngine;
  let db: DbHandle['db'];
  let photo: string;

  beforeAll(async () => {
    sim = await startSimulator({ latencyMs: 50, rateLimits: false, seed: 21, createRateLimits: { [UPSCALER]: [{ limit: 5, windowMs: 1_000 }] } });
    fresh = await freshDatabase(kind);
    workers = await startWorkers(sim, fresh, { quota: { plan: 'none', overrides: { 'image-upscaler': { perSecond: 5 } } } });
    engine = workers.engines[0]!;
    db = workers.handles[0]!.db;
    const png = await smallPng(64, 48);
    photo = (await engine.assets.putUpload(new Uint8Array(png.bytes), 'photo.png')).assetId;
  });

  afterAll(async () => {
    await workers?.close();
    await fresh?.drop();
    await sim?.close();
  });

  it('a 60-item batch against a 5/s upscaler completes, never over maxInFlight, and matches its estimate', async () => {
    const N = 60;
    const maxInFlight = 8;
    const { batchId, estimate } = await engine.createBatch({ cacheMode: 'off',
      document: doc,
      items: Array.from({ length: N }, (_, i) => ({ inputs: { photo }, label: `photo-${i}.png` })),
      maxInFlight,
    });
    expect(estimate).toMatchObject({ runs: N, submissions: 2 * N, fitsToday: true });
    const view = await until(engine, batchId, (b) => b.status === 'completed');
    expect(view.status).toBe('completed');
    expect(view.counts).toMatchObject({ succeeded: N, failed: 0, pending: 0, invalid: 0 });
    expect(view.itemsPerSecond).toBeGreaterThan(0);

    const failedNodes = await db.select().from(nodeRuns).where(eq(nodeRuns.status, 'failed'));
    expect(failedNodes).toHaveLength(0);
    const stats = sim.stats();
    const estimated = Object.fromEntries(estimate.services.flatMap((s) => Object.entries(s.endpoints)));
    expect(estimated).toEqual({ [GEMINI]: stats.submissions[GEMINI], [UPSCALER]: stats.submissions[UPSCALER] });
    for (const e of workers.engines) await e.usage();
    const refusals = (await db.select().from(freepikRequests).where(eq(freepikRequests.status, 429))).length;
    expect(refusals).toBe(stats.refused.rateLimited);

    // Admission control: the batch's runs, from creation to end, never overlap more than maxInFlight.
    const items = await engine.batchItems(batchId, -1, 500);
    expect(items.map((i) => i.label)).toEqual(Array.from({ length: N }, (_, i) => `photo-${i}.png`));
    const runRows = await db.select().from(runs);
    const ids = new Set(items.map((i) => i.runId));
    const mine = runRows.filter((r) => ids.has(r.id));
    expect(mine).toHaveLength(N);
    expect(maxOverlap(mine.map((r) => [r.createdAt.getTime(), r.finishedAt!.getTime()]))).toBeLessThanOrEqual(maxInFlight);
  });

  it('pause stops admitting (runs in flight finish), resume completes; cancel stops and cancels what runs', async () => {
    sim.configure({ latencyMs: 400 });
    try {
      const { batchId } = await engine.createBatch({ cacheMode: 'off', document: doc, items: Array.from({ length: 12 }, () => ({ inputs: { photo } })), maxInFlight: 2 });
      await until(engine, batchId, (b) => b.counts.running + b.counts.queued > 0, 30_000);
      const paused = await engine.controlBatch(batchId, 'pause');
      expect(paused.status).toBe('paused');
      const settled = await until(engine, batchId, (b) => b.counts.running + b.counts.queued === 0, 60_000);
      expect(settled.counts.pending).toBeGreaterThan(0);
      // Nothing new starts while paused.
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await engine.getBatch(batchId))!.counts.pending).toBe(settled.counts.pending);
      await engine.controlBatch(batchId, 'resume');
      const done = await until(engine, batchId, (b) => b.status === 'completed');
      expect(done.counts.succeeded).toBe(12);

      const second = await engine.createBatch({ cacheMode: 'off', document: doc, items: Array.from({ length: 12 }, () => ({ inputs: { photo } })), maxInFlight: 2 });
      await until(engine, second.batchId, (b) => b.counts.running + b.counts.queued > 0, 30_000);
      const cancelled = await engine.controlBatch(second.batchId, 'cancel');
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.counts.running + cancelled.counts.queued).toBe(0);
      expect(cancelled.counts.cancelled).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await engine.getBatch(second.batchId))!.counts.pending).toBe(cancelled.counts.pending);
      await expect(engine.controlBatch(second.batchId, 'resume')).rejects.toMatchObject({ code: 'conflict' });
    } finally {
      sim.configure({ latencyMs: 50 });
    }
  });
});

describe('batches refused before any request', () => {
  it('an item with a private URL, or a batch over BUDGET_PER_BATCH', async () => {
    const h = await startHarness({ kind: 'pglite', sim: { latencyMs: 20 }, config: { budgets: { perBatch: 10 } } });
    try {
      const refusal = async (promise: Promise<unknown>) => {
        const error = await promise.then(() => null, (e: unknown) => e);
        expect(isPikflowError(error), String(error)).toBe(true);
        return error as { code: string; message: string; field?: string };
      };
      const bad = await refusal(
        h.engine.createBatch({ cacheMode: 'off', document: doc, items: [{ inputs: { photo: 'https://example.com/a.png' } }, { inputs: { photo: 'http://127.0.0.1/secret.png' }, label: 'inside' }] }),
      );
      expect(bad.code).toBe('invalid_input');
      expect(bad.field).toBe('items[1]');
      expect(bad.message).toContain('inside');
      const over = await refusal(h.engine.createBatch({ cacheMode: 'off', document: doc, items: Array.from({ length: 6 }, () => ({ inputs: { photo: 'https://example.com/a.png' } })) }));
      expect(over.code).toBe('budget_exceeded');
      expect(over.message).toContain('BUDGET_PER_BATCH');
      expect(h.sim.stats().totals.submissions).toBe(0);
      expect(await h.handle.db.select().from(runs)).toHaveLength(0);
    } finally {
      await h.close();
    }
  });

  it('retry failed items: the items whose runs failed start again and the batch completes', async () => {
    const h = await startHarness({ kind: 'pglite', sim: { latencyMs: 20, faults: { failedTasks: 1 } } });
    try {
      const png = await smallPng(32, 24);
      const photo = (await h.engine.assets.putUpload(new Uint8Array(png.bytes), 'p.png')).assetId;
      const { batchId } = await h.engine.createBatch({ cacheMode: 'off', document: doc, items: Array.from({ length: 3 }, () => ({ inputs: { photo } })) });
      const failed = await until(h.engine, batchId, (b) => b.status === 'completed', 60_000);
      expect(failed.counts).toMatchObject({ failed: 3, succeeded: 0 });
      const firstRuns = (await h.engine.batchItems(batchId)).map((i) => i.runId);
      h.sim.configure({ faults: { failedTasks: 0 } });
      const retried = await h.engine.controlBatch(batchId, 'retry-failed');
      expect(retried.status).toBe('running');
      const done = await until(h.engine, batchId, (b) => b.status === 'completed', 60_000);
      expect(done.counts).toMatchObject({ succeeded: 3, failed: 0 });
      const newRuns = (await h.engine.batchItems(batchId)).map((i) => i.runId);
      for (const [i, id] of newRuns.entries()) expect(id).not.toBe(firstRuns[i]);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('a running batch stops admitting when the daily budget is reached: it pauses, naming the budget', async () => {
    // 3 items × 2 requests fit a daily budget of 6 when the batch starts; a single run then takes 2 of them.
    const h = await startHarness({ kind: 'pglite', sim: { latencyMs: 300 }, config: { budgets: { perDay: 6 } } });
    try {
      const png = await smallPng(32, 24);
      const photo = (await h.engine.assets.putUpload(new Uint8Array(png.bytes), 'p.png')).assetId;
      const { batchId } = await h.engine.createBatch({ cacheMode: 'off', document: doc, items: Array.from({ length: 3 }, () => ({ inputs: { photo } })), maxInFlight: 1 });
      const single = await h.engine.startRun({ document: doc, inputs: { photo }, cache: { mode: 'off' } });
      const view = await until(h.engine, batchId, (b) => b.status === 'paused', 40_000);
      expect(view.status).toBe('paused');
      expect(view.error).toMatchObject({ code: 'budget_exceeded' });
      expect(view.error!.message).toContain('BUDGET_PER_DAY');
      expect((await h.engine.waitForRun(single.runId, 60_000)).status).toBe('succeeded');
      const settled = await until(h.engine, batchId, (b) => b.counts.running + b.counts.queued === 0, 40_000);
      expect(settled.counts).toMatchObject({ succeeded: 2, pending: 1 });
      expect(h.sim.stats().totals.submissions).toBe(6);
    } finally {
      await h.close();
    }
  }, 120_000);
});
