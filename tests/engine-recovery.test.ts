/**
 * Continuous, idempotent recovery (issue 10, item 6), on PostgreSQL where several processes share
 * the work:
 * - a worker killed while its POST waits for Freepik: the live engine's periodic sweep sees the
 *   owner's heartbeat stop and reconciles the submission within a sweep or two, not after the
 *   65 s submit window (and the task is adopted, not paid twice);
 * - a second engine starting next to a first one does not queue the recovered work again;
 * - an execute job left active by a dead process before the journal is sent again within a sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, nodeRuns } from '@pikflow/db';
import { createEngine } from '@pikflow/engine';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { freshDatabase } from './support/test-db.ts';
import { engineConfigFor, quietLogger, seedPipeline, smallPng } from './support/engine-harness.ts';
import { spawnEngineChild, until } from './support/child-process.ts';
import { startLossyProxy } from './support/lossy-proxy.ts';

const GEMINI = 'freepik.gemini-2-5-flash';
const GEMINI_PATH = '/v1/ai/gemini-2-5-flash-image-preview';

describe('recovery on postgres', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ latencyMs: 300, rateLimits: false, seed: 3 });
  });
  afterAll(async () => sim?.close());

  it("a dead worker's unanswered submission is reconciled by a live engine well within the submit window", { timeout: 120_000 }, async () => {
    sim.resetStats();
    const fresh = await freshDatabase('postgres');
    // Gemini's answer is held back 30 s: the worker is killed while it waits.
    const proxy = await startLossyProxy(sim.url, GEMINI_PATH, { armed: false, holdMs: 30_000 });
    const input = await smallPng(16, 16);
    const apiKey = `recovery-${Math.random().toString(36).slice(2)}`;
    const child = spawnEngineChild({
      DATA_DIR: fresh.dataDir,
      DATABASE_URL: fresh.databaseUrl!,
      SIM_URL: proxy.url,
      SIM_API_KEY: apiKey,
      START_RUNS: '1',
      INPUT_DATA_URI: input.dataUri,
      SUBMIT_TIMEOUT_MS: '60000',
      POLL_INITIAL_DELAY_MS: '200',
      POLL_MAX_DELAY_MS: '400',
    });
    const handle = await createDb(fresh.options);
    try {
      const runId = await child.waitFor((l) => l.runId as string | undefined);
      await until(() => proxy.posts() >= 1, 30_000, 2);
      await child.kill('SIGKILL');
      const killedAt = Date.now();

      // The live engine talks to Freepik directly, with the default 60 s submit timeout (a 65 s window).
      const config = engineConfigFor(sim, fresh.dataDir, { freepik: { baseUrl: sim.url, apiKey }, poll: { initialDelayMs: 200, factor: 1.5, maxDelayMs: 400 } });
      const engine = createEngine({ config, db: handle, logger: quietLogger(), workers: { pollingIntervalSeconds: 0.5 } });
      await engine.start();
      try {
        const run = await engine.waitForRun(runId, 60_000);
        expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
        // Heartbeat silence (15 s) plus a sweep (15 s), with room for a loaded machine: well under 65 s.
        expect(Date.now() - killedAt).toBeLessThan(55_000);
        expect(sim.stats().submissions[GEMINI]).toBe(1);
      } finally {
        await engine.stop();
      }
    } finally {
      await child.kill('SIGKILL');
      await handle.close();
      await proxy.close();
      await fresh.drop();
    }
  });

  it('a second engine starting next to a live one does not queue the recovered work again', { timeout: 120_000 }, async () => {
    sim.resetStats();
    const fresh = await freshDatabase('postgres');
    const handle = await createDb(fresh.options);
    // Gemini's answer takes 3 s: the second engine starts while the first one's POST is in flight.
    const proxy = await startLossyProxy(sim.url, GEMINI_PATH, { armed: false, holdMs: 3_000 });
    const config = engineConfigFor(sim, fresh.dataDir, { freepik: { baseUrl: proxy.url, apiKey: '' }, poll: { initialDelayMs: 200, factor: 1.5, maxDelayMs: 400 } });
    const input = await smallPng(16, 16);
    // An API-only process starts the run; its first job is then lost (as if a worker took it and died).
    const api = createEngine({ config: { ...config, runWorkers: false }, db: handle, logger: quietLogger() });
    await api.start();
    const { runId } = await api.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri } });
    const pool = handle.pool!;
    const { rows } = await pool.query(
      `WITH d AS (DELETE FROM pgboss.job WHERE data->>'runId' = $1 RETURNING 1) SELECT count(*) AS n FROM d`,
      [runId],
    );
    expect(Number(rows[0]!.n)).toBe(1);
    const first = createEngine({ config, db: handle, logger: quietLogger(), workers: { pollingIntervalSeconds: 0.5 } });
    const second = createEngine({ config, db: handle, logger: quietLogger(), workers: { pollingIntervalSeconds: 0.5 } });
    try {
      await first.start();
      await until(() => proxy.posts() >= 1, 30_000, 2);
      await second.start();
      const run = await first.waitForRun(runId, 60_000);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const jobs = await pool.query(
        `SELECT count(*) AS n FROM pgboss.job WHERE name = 'pikflow-node-execute' AND data->>'runId' = $1 AND data->>'nodeId' = 'restore'`,
        [runId],
      );
      expect(Number(jobs.rows[0]!.n)).toBe(1);
      expect(sim.stats().submissions[GEMINI]).toBe(1);
      const restore = (await handle.db.select().from(nodeRuns)).find((r) => r.runId === runId && r.nodeId === 'restore')!;
      expect(restore.attempt).toBe(1);
    } finally {
      await second.stop();
      await first.stop();
      await api.stop();
      await handle.close();
      await proxy.close();
      await fresh.drop();
    }
  });
  it("a job left active by a process that died before the journal is sent again, not left to pg-boss's 300 s expiry", { timeout: 120_000 }, async () => {
    sim.resetStats();
    const fresh = await freshDatabase('postgres');
    const handle = await createDb(fresh.options);
    const config = engineConfigFor(sim, fresh.dataDir, { poll: { initialDelayMs: 200, factor: 1.5, maxDelayMs: 400 } });
    const input = await smallPng(16, 16);
    const api = createEngine({ config: { ...config, runWorkers: false }, db: handle, logger: quietLogger() });
    await api.start();
    const { runId } = await api.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri } });
    // As pg-boss leaves it when the worker that fetched the job was killed (or lost its connection in
    // a database outage) before anything was journaled: active, started a while ago, nobody on it.
    const { rowCount } = await handle.pool!.query(
      `UPDATE pgboss.job SET state = 'active', started_on = now() - interval '90 seconds' WHERE data->>'runId' = $1`,
      [runId],
    );
    expect(rowCount).toBe(1);
    const worker = createEngine({ config, db: handle, logger: quietLogger(), workers: { pollingIntervalSeconds: 0.5 } });
    try {
      await worker.start();
      const run = await worker.waitForRun(runId, 45_000);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(sim.stats().submissions[GEMINI]).toBe(1);
    } finally {
      await worker.stop();
      await api.stop();
      await handle.close();
      await fresh.drop();
    }
  });
});
