/**
 * Freepik's limits held for the API key across workers (engine quota-table.ts + limiter.ts):
 * - a per-second limit on the upscaler, set on the simulator and in the engine's quota
 *   overrides: every run succeeds, the engine's claims never put more than 5 upscales in any
 *   second, every 429 the simulator sent (if any) was seen and retried, never a failure;
 * - a limit the engine does not know (only the simulator enforces it): Freepik's 429s block the
 *   service until Retry-After and the nodes wait (`retry_after`), none fails;
 * - a daily quota: the nodes past it wait `waiting_for_quota` until the next UTC midnight, and
 *   the estimate says the batch does not fit today;
 * - the estimate equals the submissions the simulator counted;
 * - fail-fast: with onQuotaExhausted 'fail' a run or batch that cannot finish today is refused
 *   before it starts, and a node meeting the used-up quota fails naming service, limit and reset;
 * - budgets and plans refuse a run before any request.
 * On PostgreSQL two engines share the database, standing for two worker processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { isPikflowError } from '@pikflow/catalog';
import { freepikRequests, nodeRuns, runEvents, type DbHandle } from '@pikflow/db';
import type { EngineConfig, PikflowEngine } from '@pikflow/engine';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { seedPipeline, smallPng, startHarness, startWorkers, type WorkerSet } from './support/engine-harness.ts';
import { DB_KINDS, freshDatabase, type FreshDatabase } from './support/test-db.ts';

const UPSCALER = 'freepik.upscaler-precision-v2';
const GEMINI = 'freepik.gemini-2-5-flash';
const doc = seedPipeline(2);

/** The most timestamps inside any window of `ms`. */
function busiestWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe.each(DB_KINDS)('quota-aware scheduling on %s', (kind) => {
  let sim: RunningSimulator;
  let fresh: FreshDatabase;
  const handles: DbHandle[] = [];
  const engines: PikflowEngine[] = [];
  let workers: WorkerSet | undefined;

  beforeAll(async () => {
    sim = await startSimulator({ latencyMs: 50, rateLimits: false, seed: 11, createRateLimits: { [UPSCALER]: [{ limit: 5, windowMs: 1_000 }] } });
    fresh = await freshDatabase(kind);
    const quota: EngineConfig['quota'] = { plan: 'none', overrides: { 'image-upscaler': { perSecond: 5 } } };
    workers = await startWorkers(sim, fresh, { quota });
    engines.push(...workers.engines);
    handles.push(...workers.handles);
  });

  afterAll(async () => {
    await workers?.close();
    await fresh?.drop();
    await sim?.close();
  });

  const start = async (n: number) => {
    const photo = await smallPng(64, 48);
    return Promise.all(Array.from({ length: n }, async (_, i) => (await engines[i % engines.length]!.startRun({ document: doc, inputs: { photo: photo.dataUri }, cache: { mode: 'off' } })).runId));
  };

  it('40 runs against a 5/s upscaler: all succeed, at most 5 upscales per second, the estimate equals what the simulator counted', async () => {
    const N = 40;
    const estimate = await engines[0]!.estimate(doc, N);
    const runIds = await start(N);
    const views = await Promise.all(runIds.map((id) => engines[0]!.waitForRun(id, 180_000)));
    for (const view of views) expect(view.status, JSON.stringify(view.error)).toBe('succeeded');

    const stats = sim.stats();
    expect(stats.submissions[UPSCALER]).toBe(N);
    // The estimate, made before the batch, per endpoint = the simulator's own counts.
    const estimated = Object.fromEntries(estimate.services.flatMap((s) => Object.entries(s.endpoints)));
    expect(estimated).toEqual({ [GEMINI]: stats.submissions[GEMINI], [UPSCALER]: stats.submissions[UPSCALER] });
    expect(estimate.submissions).toBe(2 * N);

    for (const engine of engines) await engine.usage(); // flush each process's buffered ledger rows
    const ledger = await handles[0]!.db.select().from(freepikRequests).where(eq(freepikRequests.kind, 'submit'));
    const upscales = ledger.filter((r) => r.endpoint === UPSCALER);
    const accepted = upscales.filter((r) => r.status !== 429);
    expect(accepted).toHaveLength(N);
    expect(busiestWindow(accepted.map((r) => r.at.getTime()), 1_000)).toBeLessThanOrEqual(5);
    // Whatever the simulator refused, the engine saw and counted (and retried: every run succeeded).
    expect(upscales.filter((r) => r.status === 429).length).toBe(stats.refused.rateLimited);

    // Nodes had to wait, visibly, for the per-second limit.
    const waits = await handles[0]!.db.select().from(runEvents).where(eq(runEvents.type, 'node.waiting'));
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.some((w) => (w.payload as { reason?: string }).reason === 'per_second')).toBe(true);
    expect((waits[0]!.payload as { service?: string }).service).toBe('image-upscaler');

    const usage = await engines[0]!.usage();
    const upscaler = usage.services.find((s) => s.service === 'image-upscaler')!;
    expect(upscaler.today.submissions).toBe(N);
    expect(upscaler.limits.perSecond).toBe(5);
    expect(usage.days[0]!.day).toBe(usage.today);
    expect(usage.services.find((s) => s.service === GEMINI)!.today.statusReads).toBeGreaterThan(0);
  });

  it("Freepik's 429s on a limit the engine does not know: the service waits for Retry-After, no node fails", async () => {
    const before = sim.stats().refused.rateLimited;
    sim.configure({ createRateLimits: { [GEMINI]: [{ limit: 2, windowMs: 1_000 }] } });
    try {
      const runIds = await start(8);
      const views = await Promise.all(runIds.map((id) => engines[0]!.waitForRun(id, 180_000)));
      for (const view of views) expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
    } finally {
      sim.configure({ createRateLimits: { [UPSCALER]: [{ limit: 5, windowMs: 1_000 }] } });
    }
    const refused = sim.stats().refused.rateLimited - before;
    expect(refused).toBeGreaterThan(0);
    for (const engine of engines) await engine.usage();
    const ledger = await handles[0]!.db.select().from(freepikRequests).where(and(eq(freepikRequests.endpoint, GEMINI), eq(freepikRequests.status, 429)));
    expect(ledger.length).toBe(refused);
    const waits = await handles[0]!.db.select().from(runEvents).where(eq(runEvents.type, 'node.waiting'));
    expect(waits.some((w) => (w.payload as { reason?: string }).reason === 'retry_after')).toBe(true);
    const failed = await handles[0]!.db.select().from(nodeRuns).where(eq(nodeRuns.status, 'failed'));
    expect(failed).toHaveLength(0);
  });
});

describe.each(DB_KINDS)('daily quota, plans and budgets on %s', (kind) => {
  it('past the daily quota nodes wait for the next UTC day, visibly; the estimate says the batch does not fit', async () => {
    const h = await startHarness({ kind, sim: { latencyMs: 50 }, config: { quota: { plan: 'none', overrides: { 'image-upscaler': { perDay: 3 } } } } });
    try {
      const estimate = await h.engine.estimate(doc, 5);
      const upscaler = estimate.services.find((s) => s.service === 'image-upscaler')!;
      expect(upscaler).toMatchObject({ perDay: 3, usedToday: 0, remainingToday: 3, submissions: 5, fitsToday: false });
      expect(estimate.fitsToday).toBe(false);

      const photo = await smallPng(64, 48);
      const runIds = await Promise.all(Array.from({ length: 5 }, async () => (await h.engine.startRun({ document: doc, inputs: { photo: photo.dataUri }, cache: { mode: 'off' } })).runId));
      const tomorrow = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z').getTime() + 86_400_000;
      let views = await Promise.all(runIds.map((id) => h.engine.getRun(id)));
      for (let i = 0; i < 600; i++) {
        views = await Promise.all(runIds.map((id) => h.engine.getRun(id)));
        const done = views.filter((v) => v!.status === 'succeeded').length;
        const waiting = views.filter((v) => v!.nodes.find((n) => n.nodeId === 'upscale')!.status === 'waiting_for_quota').length;
        if (done === 3 && waiting === 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(views.filter((v) => v!.status === 'succeeded')).toHaveLength(3);
      const waiting = views.map((v) => v!.nodes.find((n) => n.nodeId === 'upscale')!).filter((n) => n.status === 'waiting_for_quota');
      expect(waiting).toHaveLength(2);
      for (const node of waiting) {
        expect(node.waiting).toMatchObject({ service: 'image-upscaler', reason: 'daily' });
        expect(new Date(node.waiting!.until).getTime()).toBe(tomorrow);
      }
      expect(h.sim.stats().submissions[UPSCALER]).toBe(3);
      const listed = await h.engine.listRuns({ limit: 10 });
      expect(listed.runs.flatMap((r) => r.nodes).filter((n) => n.status === 'waiting_for_quota')).toHaveLength(2);

      const after = await h.engine.estimate(doc, 1);
      expect(after.services.find((s) => s.service === 'image-upscaler')).toMatchObject({ usedToday: 3, remainingToday: 0, fitsToday: false });
      const usage = await h.engine.usage();
      expect(usage.services.find((s) => s.service === 'image-upscaler')).toMatchObject({ limits: { perDay: 3 }, remainingToday: 0 });
      for (const id of runIds) await h.engine.cancelRun(id);
    } finally {
      await h.close();
    }
  });

  it('fail-fast (onQuotaExhausted "fail"): a run or batch that cannot finish today is refused; a node meeting the used-up quota fails naming it', async () => {
    const h = await startHarness({ kind, sim: { latencyMs: 20 }, config: { quota: { plan: 'none', overrides: { 'image-upscaler': { perDay: 3 } } } } });
    try {
      const photo = await smallPng(64, 48);
      const run = (onQuotaExhausted?: 'wait' | 'fail') => h.engine.startRun({ document: doc, inputs: { photo: photo.dataUri }, cache: { mode: 'off' }, ...(onQuotaExhausted ? { onQuotaExhausted } : {}) });
      const tomorrow = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z').getTime() + 86_400_000;
      const refusal = async (promise: Promise<unknown>) => {
        const error = await promise.then(() => null, (e: unknown) => e);
        expect(isPikflowError(error), String(error)).toBe(true);
        return error as { code: string; message: string; httpStatus: number };
      };
      // A batch of 5 when 3 are left: with 'wait' it starts and says it cannot finish today; with 'fail' it is refused.
      const photoId = (await h.engine.assets.putUpload(new Uint8Array(photo.bytes), 'photo.png')).assetId;
      const items = Array.from({ length: 5 }, () => ({ inputs: { photo: photoId } }));
      const refusedBatch = await refusal(h.engine.createBatch({ document: doc, items, onQuotaExhausted: 'fail', cacheMode: 'off' }));
      expect(refusedBatch).toMatchObject({ code: 'quota_exhausted', httpStatus: 429 });
      expect(refusedBatch.message).toContain('image-upscaler needs 5 requests and has 3 of 3 left today; 2 would wait');
      expect(refusedBatch.message).toContain(new Date(tomorrow).toISOString());

      // Three runs use up the day's quota.
      for (const { runId } of [await run('fail'), await run('fail'), await run()]) expect((await h.engine.waitForRun(runId, 60_000)).status).toBe('succeeded');
      const refusedRun = await refusal(run('fail'));
      expect(refusedRun.code).toBe('quota_exhausted');
      expect(refusedRun.message).toContain('has 0 of 3 left today');
      expect(h.sim.stats().submissions[UPSCALER]).toBe(3);

      // A 'fail' run started while the quota seemed to fit (a larger quota then, and no upscale slot free: it waits), executed
      // once the quota is back to its used-up 3: its upscale fails saying why.
      await h.stopEngine();
      await h.restartEngine({ quota: { plan: 'none', overrides: { 'image-upscaler': { perDay: 10, concurrent: 0 } } } });
      const { runId } = await run('fail');
      const { runId: waiting } = await run();
      for (let i = 0; i < 300; i++) {
        const views = await Promise.all([runId, waiting].map((id) => h.engine.getRun(id)));
        if (views.every((v) => v!.nodes.find((n) => n.nodeId === 'upscale')!.waiting?.reason === 'concurrent')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await h.stopEngine();
      await h.restartEngine({ quota: { plan: 'none', overrides: { 'image-upscaler': { perDay: 3 } } } });
      const failed = await h.engine.waitForRun(runId, 60_000);
      expect(failed.status).toBe('failed');
      const upscale = failed.nodes.find((n) => n.nodeId === 'upscale')!;
      expect(upscale.status).toBe('failed');
      expect(upscale.error).toMatchObject({ code: 'quota_exhausted' });
      expect(upscale.error!.message).toContain('image-upscaler (3 requests per day');
      expect(upscale.error!.message).toContain(`resets at ${new Date(tomorrow).toISOString()}`);
      expect(upscale.waiting).toBeUndefined();
      // The default run next to it waits for tomorrow instead.
      let other = await h.engine.getRun(waiting);
      // Until its node is looked at again under the new limits: before that it still shows the concurrency wait.
      for (let i = 0; i < 300 && other!.nodes.find((n) => n.nodeId === 'upscale')!.waiting?.reason !== 'daily'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        other = await h.engine.getRun(waiting);
      }
      expect(other!.nodes.find((n) => n.nodeId === 'upscale')).toMatchObject({ status: 'waiting_for_quota', waiting: { reason: 'daily' } });
      expect(h.sim.stats().submissions[UPSCALER]).toBe(3);
      await h.engine.cancelRun(waiting);
    } finally {
      await h.close();
    }
  });

  it('budgets and the plan refuse a run before any request, naming the budget', async () => {
    const h = await startHarness({ kind, sim: { latencyMs: 20 }, config: { budgets: { perDay: 4 } } });
    try {
      const photo = await smallPng(64, 48);
      const run = () => h.engine.startRun({ document: doc, inputs: { photo: photo.dataUri }, cache: { mode: 'off' } });
      const refusal = async (promise: Promise<unknown>) => {
        const error = await promise.then(() => null, (e: unknown) => e);
        expect(isPikflowError(error), String(error)).toBe(true);
        return error as { code: string; message: string };
      };
      // Two runs of two Freepik requests fit in a daily budget of 4, committed before they are submitted.
      const started = [await run(), await run()];
      const third = await refusal(run());
      expect(third.code).toBe('budget_exceeded');
      expect(third.message).toContain('BUDGET_PER_DAY');
      for (const { runId } of started) expect((await h.engine.waitForRun(runId, 60_000)).status).toBe('succeeded');
      const before = h.sim.stats().totals.submissions;
      expect(before).toBe(4);
      await h.stopEngine();
      await h.restartEngine({ budgets: { perRun: 1 } });
      const perRun = await refusal(h.engine.startRun({ document: doc, inputs: { photo: photo.dataUri }, cache: { mode: 'off' } }));
      expect(perRun.code).toBe('budget_exceeded');
      expect(perRun.message).toContain('BUDGET_PER_RUN');
      await h.stopEngine();
      await h.restartEngine({ budgets: undefined, quota: { plan: 'free' } });
      const plan = await refusal(h.engine.startRun({ document: doc, inputs: { photo: photo.dataUri }, cache: { mode: 'off' } }));
      expect(plan.code).toBe('quota_unavailable');
      expect(plan.message).toContain('image-upscaler');
      // Nothing was sent for the refused runs.
      expect(h.sim.stats().totals.submissions).toBe(before);
    } finally {
      await h.close();
    }
  });
});
