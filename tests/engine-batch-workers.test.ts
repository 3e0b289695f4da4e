/**
 * Issue 13's must-show: a 200-item batch of the Photo restoration template on PostgreSQL, admitted
 * and executed by two separate worker processes (tests/support/engine-child.ts), against a
 * simulator whose limits are set low — 5 create requests per second on the upscaler (and its own
 * documented caps, e.g. Kling's 3 concurrent tasks, which this pipeline does not use). Every item
 * succeeds, no node fails, the simulator refused nothing (its rate-limit and concurrency
 * counters stay at 0: the limits were never exceeded), and the estimate the batch answered with
 * before it started (cache-aware, the result cache on) equals the Freepik submissions the
 * simulator counted, endpoint by endpoint.
 * This process only creates the batch (an engine without workers) and watches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createDb, freepikRequests, nodeRuns, type DbHandle } from '@pikflow/db';
import { createEngine, type PikflowEngine } from '@pikflow/engine';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { getTemplate } from '@pikflow/pipeline';
import { spawnEngineChild, type EngineChild } from './support/child-process.ts';
import { engineConfigFor, quietLogger, smallPng } from './support/engine-harness.ts';
import { freshDatabase, type FreshDatabase } from './support/test-db.ts';

const UPSCALER = 'freepik.upscaler-precision-v2';
const GEMINI = 'freepik.gemini-2-5-flash';
const ITEMS = 200;
const quota = { plan: 'none' as const, overrides: { 'image-upscaler': { perSecond: 5 } } };

describe('a 200-item Photo restoration batch on PostgreSQL with two worker processes', () => {
  let sim: RunningSimulator;
  let fresh: FreshDatabase;
  let handle: DbHandle;
  let engine: PikflowEngine;
  const workers: EngineChild[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ latencyMs: 50, rateLimits: false, seed: 13, createRateLimits: { [UPSCALER]: [{ limit: 5, windowMs: 1_000 }] } });
    fresh = await freshDatabase('postgres');
    handle = await createDb(fresh.options);
    engine = createEngine({ config: engineConfigFor(sim, fresh.dataDir, { runWorkers: false, quota }), db: handle, logger: quietLogger() });
    await engine.start();
    const env = {
      DATA_DIR: fresh.dataDir,
      DATABASE_URL: fresh.databaseUrl ?? '',
      SIM_URL: sim.url,
      FREEPIK_PLAN: 'none',
      FREEPIK_QUOTAS: JSON.stringify(quota.overrides),
      POLL_INITIAL_DELAY_MS: '100',
      POLL_MAX_DELAY_MS: '1000',
    };
    for (let i = 0; i < 2; i++) workers.push(spawnEngineChild(env));
    await Promise.all(workers.map((w) => w.waitFor((line) => (line.ready ? true : undefined))));
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await engine?.stop();
    await handle?.close();
    await fresh?.drop();
    await sim?.close();
  });

  it('succeeds entirely within the limits, and the estimate equals what the simulator counted', { timeout: 150_000 }, async () => {
    const document = getTemplate('photo-restoration')!.document;
    // 200 different old photos, with the result cache on as a user has it. They differ in size too:
    // the simulator's restoration of flat photos that differ only in colour is often the same
    // image (real Freepik's is not), and the cache would then rightly share their upscales, which
    // no estimate can know before the restorations exist.
    const photos = await Promise.all(
      Array.from({ length: ITEMS }, async (_, i) => {
        const png = await smallPng(40 + i, 32, i);
        return (await engine.assets.putUpload(new Uint8Array(png.bytes), `photo-${i}.png`)).assetId;
      }),
    );
    const { batchId, estimate } = await engine.createBatch({
      document,
      items: photos.map((photo, i) => ({ inputs: { photo }, label: `photo-${i}.png` })),
      maxInFlight: 40,
    });
    expect(estimate).toMatchObject({ runs: ITEMS, submissions: 2 * ITEMS, cachedSubmissions: 0, cacheAware: true, fitsToday: true });

    let view = (await engine.getBatch(batchId))!;
    for (let i = 0; i < 1_200 && view.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      view = (await engine.getBatch(batchId))!;
    }
    expect(view).toMatchObject({ status: 'completed', total: ITEMS, counts: { succeeded: ITEMS, failed: 0, invalid: 0, cancelled: 0, pending: 0 } });

    // No node failed, for a 429 or anything else; both processes did the work.
    const failed = await handle.db.select().from(nodeRuns).where(eq(nodeRuns.status, 'failed'));
    expect(failed).toHaveLength(0);
    const owners = await handle.db.selectDistinct({ owner: nodeRuns.owner }).from(nodeRuns).where(eq(nodeRuns.nodeType, UPSCALER));
    expect(owners.filter((o) => o.owner).length).toBe(2);

    // The simulator's own counters: it refused nothing, so no limit was ever exceeded.
    const stats = sim.stats();
    expect(stats.refused).toMatchObject({ rateLimited: 0, concurrency: 0 });
    expect(stats.submissions[UPSCALER]).toBe(ITEMS);
    // The estimate made before the batch started, endpoint by endpoint = the simulator's submissions.
    const estimated = Object.fromEntries(estimate.services.flatMap((s) => Object.entries(s.endpoints)));
    expect(estimated).toEqual({ [GEMINI]: stats.submissions[GEMINI], [UPSCALER]: stats.submissions[UPSCALER] });
    expect(estimate.submissions).toBe(stats.submissions[GEMINI]! + stats.submissions[UPSCALER]!);
    // And the ledger agrees: every accepted upscale recorded once, none refused.
    const upscales = await handle.db.select().from(freepikRequests).where(eq(freepikRequests.endpoint, UPSCALER));
    expect(upscales.filter((r) => r.kind === 'submit' && r.status !== 429)).toHaveLength(ITEMS);
    expect(upscales.filter((r) => r.status === 429)).toHaveLength(0);
  });
});
