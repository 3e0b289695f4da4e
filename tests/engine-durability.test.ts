/**
 * Durability: an engine process killed with SIGKILL mid-run (right after a submission,
 * and while polling) is restarted; the run completes and the simulator saw exactly one
 * submission per node; then four kills in a row, each after a seeded random number of requests. Then: two worker
 * processes on PostgreSQL share 50 runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, nodeRuns } from '@pikflow/db';
import { createEngine } from '@pikflow/engine';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { DB_KINDS, freshDatabase } from './support/test-db.ts';
import { engineConfigFor, quietLogger, seedPipeline, smallPng } from './support/engine-harness.ts';
import { engineChildEnv, spawnEngineChild, until } from './support/child-process.ts';

const GEMINI = 'freepik.gemini-2-5-flash';
const UPSCALE = 'freepik.upscaler-precision-v2';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 1_200, rateLimits: false, seed: 7 });
});
afterAll(async () => sim?.close());

describe.each(DB_KINDS)('kill -9 on %s', (kind) => {
  const moments = [
    { name: 'right after the first submission', killWhen: () => (sim.stats().submissions[GEMINI] ?? 0) >= 1 },
    { name: 'while polling the second task', killWhen: () => (sim.stats().polls[UPSCALE] ?? 0) >= 1 },
  ];
  it.each(moments)('resumes a run killed $name without submitting twice', async ({ killWhen }) => {
    sim.resetStats();
    const fresh = await freshDatabase(kind);
    const input = await smallPng(24, 16);
    // One key per deployment, as in production: Freepik's task list is per key.
    const apiKey = `crash-${kind}-${Math.random().toString(36).slice(2)}`;
    const child = spawnEngineChild({
      DATA_DIR: fresh.dataDir,
      DATABASE_URL: fresh.databaseUrl ?? '',
      SIM_URL: sim.url,
      SIM_API_KEY: apiKey,
      START_RUNS: '1',
      INPUT_DATA_URI: input.dataUri,
      POLL_INITIAL_DELAY_MS: '300',
      POLL_MAX_DELAY_MS: '600',
    });
    try {
      const runId = await child.waitFor((l) => l.runId as string | undefined);
      await until(killWhen, 30_000, 2);
      await child.kill('SIGKILL');

      // A new engine process over the same database (the stale PGlite lock is taken over).
      const handle = await createDb(fresh.options);
      const config = engineConfigFor(sim, fresh.dataDir, {
        freepik: { baseUrl: sim.url, apiKey },
        poll: { initialDelayMs: 300, factor: 1.5, maxDelayMs: 600 },
        submitTimeoutMs: 2_000,
      });
      const engine = createEngine({ config, db: handle, logger: quietLogger(), workers: { pollingIntervalSeconds: 0.5 } });
      await engine.start();
      try {
        const run = await engine.waitForRun(runId, 45_000);
        expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
        const stats = sim.stats();
        expect(stats.submissions[GEMINI]).toBe(1);
        expect(stats.submissions[UPSCALE]).toBe(1);
        const rows = await handle.db.select().from(nodeRuns);
        for (const row of rows.filter((r) => r.nodeType.startsWith('freepik.'))) {
          expect(row.submitState).toBe('submitted');
          expect(row.attempt).toBe(1);
        }
      } finally {
        await engine.stop();
        await handle.close();
      }
    } finally {
      await child.kill('SIGKILL');
      await fresh.drop();
    }
  });
});

describe.each(DB_KINDS)('repeated kill -9 on %s', (kind) => {
  // Four PGlite start-ups on a loaded machine: bounded generously.
  it('3 runs, the process killed 4 times, each after a seeded random 1–5 of its requests: every run ends, no task is paid for twice', { timeout: 180_000 }, async () => {
    sim.configure({ latencyMs: 1_000 });
    sim.resetStats();
    const fresh = await freshDatabase(kind);
    const input = await smallPng(24, 16);
    const apiKey = `kills-${kind}-${Math.random().toString(36).slice(2)}`;
    const env = engineChildEnv({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl, simUrl: sim.url, apiKey, inputDataUri: input.dataUri, pollMs: [200, 400] });
    // A fixed seed per database: the same kill moments on every CI run.
    let seed = kind === 'pglite' ? 17 : 29;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    let child = spawnEngineChild({ ...env, START_RUNS: '3' });
    try {
      const runIds: string[] = [];
      await until(() => {
        runIds.splice(0, runIds.length, ...child.lines.filter((l) => typeof l.runId === 'string').map((l) => l.runId as string));
        return runIds.length === 3;
      }, 60_000);
      // Each process is killed after a random number (1–5) of its own requests to Freepik, so the
      // kills land all over the runs' lives: after a submission, mid-polling, between nodes.
      const requests = () => Object.values(sim.stats().submissions).reduce((a, b) => a + b, 0) + Object.values(sim.stats().polls).reduce((a, b) => a + b, 0);
      for (let kill = 0; kill < 4; kill++) {
        if (kill > 0) {
          child = spawnEngineChild(env);
          await child.waitFor((l) => (l.ready ? true : undefined));
        }
        const target = requests() + 1 + Math.floor(random() * 5);
        await until(() => requests() >= target, 5_000, 2).catch(() => {});
        await child.kill('SIGKILL');
      }

      // Whatever was in flight, a last engine over the same database finishes every run.
      const handle = await createDb(fresh.options);
      const config = engineConfigFor(sim, fresh.dataDir, {
        freepik: { baseUrl: sim.url, apiKey },
        poll: { initialDelayMs: 200, factor: 1.5, maxDelayMs: 400 },
        submitTimeoutMs: 2_000,
      });
      const engine = createEngine({ config, db: handle, logger: quietLogger(), workers: { pollingIntervalSeconds: 0.5 } });
      await engine.start();
      try {
        const runs = await Promise.all(runIds.map((id) => engine.waitForRun(id, 120_000)));
        for (const run of runs) {
          if (run.status === 'succeeded') {
            expect(typeof run.outputs!.stored_url).toBe('string');
            continue;
          }
          // A kill inside a POST can leave a submission nobody can attribute: the node fails, naming
          // itself, rather than paying for a second task.
          expect(run.status).toBe('failed');
          expect(run.error).toMatchObject({ code: 'ambiguous_submit', nodeId: expect.any(String) });
        }
        const rows = await handle.db.select().from(nodeRuns);
        const freepikRows = rows.filter((r) => r.nodeType.startsWith('freepik.'));
        // One POST per node run, or two when a kill left the first unresolved, Freepik's task list
        // showed no task of it after the grace period and its owner was dead: the re-send is
        // recorded on the node run (possibleDuplicateCharge), and the sim's counts below show whether it cost anything.
        for (const row of freepikRows) expect(row.attempt).toBeLessThanOrEqual(row.possibleDuplicateCharge ? 2 : 1);
        // One task per node run, except a re-send the engine recorded on its node run: a POST cut by
        // the kill whose task Freepik's list did not show within the grace period (the issue's
        // policy without webhooks). An unrecorded second task fails here.
        const stats = sim.stats();
        const resent = (type: string) => freepikRows.filter((r) => r.nodeType === type && r.possibleDuplicateCharge).length;
        expect(stats.submissions[GEMINI] ?? 0).toBeLessThanOrEqual(3 + resent(GEMINI));
        expect(stats.submissions[UPSCALE] ?? 0).toBeLessThanOrEqual(3 + resent(UPSCALE));
        const journaled = freepikRows.filter((r) => r.taskId);
        expect(new Set(journaled.map((r) => r.taskId)).size).toBe(journaled.length);
        // A run that succeeded did so on exactly one journaled task per Freepik node.
        for (const run of runs.filter((r) => r.status === 'succeeded')) {
          expect(freepikRows.filter((r) => r.runId === run.id && r.taskId)).toHaveLength(2);
        }
      } finally {
        await engine.stop();
        await handle.close();
      }
    } finally {
      await child.kill('SIGKILL');
      await fresh.drop();
    }
  });
});

describe('two worker processes on PostgreSQL', () => {
  it('share 50 runs and run every node exactly once', async () => {
    sim.configure({ latencyMs: 200 });
    sim.resetStats();
    const fresh = await freshDatabase('postgres');
    const env = {
      DATA_DIR: fresh.dataDir,
      DATABASE_URL: fresh.databaseUrl!,
      SIM_URL: sim.url,
      POLL_INITIAL_DELAY_MS: '200',
      POLL_MAX_DELAY_MS: '500',
    };
    const workers = [spawnEngineChild(env), spawnEngineChild(env)];
    try {
      await Promise.all(workers.map((w) => w.waitFor((l) => (l.ready ? true : undefined))));
      // This process only starts runs and watches, like an API-only server.
      const handle = await createDb(fresh.options);
      const engine = createEngine({
        config: engineConfigFor(sim, fresh.dataDir, { runWorkers: false }),
        db: handle,
        logger: quietLogger(),
      });
      await engine.start();
      try {
        const input = await smallPng(16, 16);
        const runIds = await Promise.all(
          Array.from({ length: 50 }, async () => (await engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri }, cache: { mode: 'off' } })).runId),
        );
        const runs = await Promise.all(runIds.map((id) => engine.waitForRun(id, 90_000)));
        expect(runs.map((r) => r.status)).toEqual(runIds.map(() => 'succeeded'));
        const stats = sim.stats();
        expect(stats.submissions[GEMINI]).toBe(50);
        expect(stats.submissions[UPSCALE]).toBe(50);
        const rows = await handle.db.select().from(nodeRuns);
        expect(rows.filter((r) => r.nodeType.startsWith('freepik.')).every((r) => r.attempt === 1)).toBe(true);
      } finally {
        await engine.stop();
        await handle.close();
      }
      // Both processes did part of the work.
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
      const submitted = workers.map((w) => (w.lines.find((l) => l.stats)?.stats as { submissions: number } | undefined)?.submissions ?? 0);
      expect(submitted[0]! + submitted[1]!).toBeGreaterThanOrEqual(150);
      expect(submitted[0]).toBeGreaterThan(0);
      expect(submitted[1]).toBeGreaterThan(0);
    } finally {
      await Promise.all(workers.map((w) => w.kill('SIGKILL')));
      await fresh.drop();
    }
  });
});
