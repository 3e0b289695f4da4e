/**
 * Kling v2 and Elements take "up to 3 concurrent requests per user" (S4:4683, 5017, 5348).
 * The engine holds the count in the database, so the limit holds for the API key across
 * worker processes: five Kling runs at once, on PGlite (one engine) and on PostgreSQL (two
 * engines sharing the database), never put a 4th task in flight — the simulator, which
 * answers a 4th unfinished task with 429, refuses none — and every run still succeeds:
 * the nodes that had to wait were re-scheduled, not failed.
 *
 * Then the same across real processes: on PostgreSQL, two engine child processes take the
 * jobs of seven runs started by an API-only engine here, for every Kling node that declares
 * `maxConcurrentTasks` (v2, Elements Pro and Std): at most 3 tasks of the node in flight at
 * once, none refused, every run succeeded, and both processes ran some of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNodes } from '@pikflow/catalog';
import { createDb, nodeRuns, type DbHandle } from '@pikflow/db';
import { createEngine, type PikflowEngine } from '@pikflow/engine';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import type { PipelineDocument } from '@pikflow/pipeline';
import { engineChildEnv, spawnEngineChild, type EngineChild } from './support/child-process.ts';
import { engineConfigFor, maxOverlap, quietLogger, smallPng, startWorkers, type WorkerSet } from './support/engine-harness.ts';
import { startMiniServer, type MiniServer } from './support/mini-server.ts';
import { pipeline } from './support/pipeline-document.ts';
import { DB_KINDS, freshDatabase, type FreshDatabase } from './support/test-db.ts';

const KLING = 'freepik.kling-v2';
const RUNS = 5;

const klingPipeline: PipelineDocument = {
  version: 1,
  nodes: [
    { id: 'photo', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
    { id: 'video', type: KLING, params: { duration: '5' }, position: { x: 1, y: 0 } },
    { id: 'clip', type: 'output', params: { name: 'clip' }, position: { x: 2, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'photo', sourceHandle: 'image', target: 'video', targetHandle: 'image' },
    { id: 'e2', source: 'video', sourceHandle: 'video', target: 'clip', targetHandle: 'value' },
  ],
};

describe.each(DB_KINDS)('Kling concurrency on %s', (kind) => {
  let sim: RunningSimulator;
  let fresh: FreshDatabase;
  const handles: DbHandle[] = [];
  const engines: PikflowEngine[] = [];
  let workers: WorkerSet | undefined;

  beforeAll(async () => {
    sim = await startSimulator({ latencyMs: 50, latencyByEndpoint: { [KLING]: 1_500 }, rateLimits: false, seed: 3 });
    fresh = await freshDatabase(kind);
    // PGlite belongs to one process; on PostgreSQL two engines stand for two worker processes.
    workers = await startWorkers(sim, fresh);
    engines.push(...workers.engines);
    handles.push(...workers.handles);
  });

  afterAll(async () => {
    await workers?.close();
    await fresh?.drop();
    await sim?.close();
  });

  it(`${RUNS} Kling v2 runs at once: never more than 3 tasks in flight, no 429, every run succeeds`, async () => {
    const photo = await smallPng(320, 320);
    const runIds = await Promise.all(
      Array.from({ length: RUNS }, async (_, i) => (await engines[i % engines.length]!.startRun({ document: klingPipeline, inputs: { photo: photo.dataUri }, cache: { mode: 'off' } })).runId),
    );
    const views = await Promise.all(runIds.map((id) => engines[0]!.waitForRun(id, 90_000)));
    for (const view of views) expect(view.status, JSON.stringify(view.error)).toBe('succeeded');

    const stats = sim.stats();
    expect(stats.submissions[KLING]).toBe(RUNS);
    expect(stats.refused.concurrency).toBe(0);

    // The engine's own record agrees: from submission to the end, at most 3 Kling node runs overlap.
    const rows = (await handles[0]!.db.select().from(nodeRuns)).filter((r) => r.nodeType === KLING);
    expect(rows).toHaveLength(RUNS);
    for (const row of rows) expect(row.attempt).toBe(1);
    expect(maxOverlap(rows.map((r) => [r.startedAt!.getTime(), r.finishedAt!.getTime()]))).toBeLessThanOrEqual(3);
  });
});

/** The Kling nodes whose declaration limits tasks in flight per key. */
const LIMITED = listNodes().filter((d) => d.execution.kind === 'http' && d.execution.maxConcurrentTasks !== undefined);
const PROCESS_RUNS = 7;

/** Photo → the Kling node (its image or element-images port) → clip. */
function videoPipeline(nodeType: string): PipelineDocument {
  const def = LIMITED.find((d) => d.id === nodeType)!;
  const port = def.inputs.find((p) => p.type === 'image' || p.type === 'image[]')!.name;
  const params = nodeType === KLING ? { duration: '5' } : { prompt: 'the photo comes alive' };
  return pipeline(
    [
      ['photo', 'input.image', { name: 'photo' }],
      ['video', nodeType, params],
      ['clip', 'output', { name: 'clip' }],
    ],
    [`photo.image -> video.${port}`, 'video.video -> clip.value'],
  );
}

describe('Kling concurrency across two engine processes on postgres', () => {
  let sim: RunningSimulator;
  let fresh: FreshDatabase;
  let handle: DbHandle;
  let api: PikflowEngine;
  let assets: MiniServer;
  const children: EngineChild[] = [];
  const childPids: number[] = [];

  beforeAll(async () => {
    expect(LIMITED.map((d) => d.id).sort()).toEqual(['freepik.kling-elements-pro', 'freepik.kling-elements-std', KLING]);
    const latencyByEndpoint = Object.fromEntries(LIMITED.map((d) => [d.id, 1_500]));
    sim = await startSimulator({ latencyMs: 50, latencyByEndpoint, rateLimits: false, seed: 5 });
    fresh = await freshDatabase('postgres');
    // Elements take image URLs: the API process serves the assets at PUBLIC_URL, as the server does.
    assets = await startMiniServer(() => api);
    // One API key for both processes: the limit is the key's, wherever its tasks were sent from.
    const apiKey = 'kling-processes';
    const env = {
      ...engineChildEnv({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl, simUrl: sim.url, apiKey, inputDataUri: '', pollMs: [200, 500] }),
      PUBLIC_URL: assets.url,
    };
    for (let i = 0; i < 2; i++) children.push(spawnEngineChild(env));
    childPids.push(...(await Promise.all(children.map((c) => c.waitFor((l) => (l.ready ? (l.pid as number) : undefined))))));
    handle = await createDb(fresh.options);
    const config = engineConfigFor(sim, fresh.dataDir, { freepik: { baseUrl: sim.url, apiKey }, publicUrl: assets.url, runWorkers: false });
    api = createEngine({ config, db: handle, logger: quietLogger() });
    await api.start();
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await handle?.close();
    for (const child of children) await child.kill('SIGTERM');
    await assets?.close();
    await fresh?.drop();
    await sim?.close();
  });

  it.each(LIMITED.map((d) => d.id))(
    `${PROCESS_RUNS} runs of %s: never more than 3 tasks in flight, none refused, every run succeeds, both processes take part`,
    { timeout: 180_000 },
    async (nodeType) => {
      sim.resetStats();
      const photo = await smallPng(320, 320, nodeType.length);
      const runIds: string[] = [];
      for (let i = 0; i < PROCESS_RUNS; i++) {
        runIds.push((await api.startRun({ document: videoPipeline(nodeType), inputs: { photo: photo.dataUri }, cache: { mode: 'off' } })).runId);
      }
      const views = await Promise.all(runIds.map((id) => api.waitForRun(id, 150_000)));
      for (const view of views) expect(view.status, JSON.stringify(view.error)).toBe('succeeded');

      const stats = sim.stats();
      expect(stats.submissions[nodeType]).toBe(PROCESS_RUNS);
      expect(stats.refused.concurrency).toBe(0);

      const rows = (await handle.db.select().from(nodeRuns)).filter((r) => r.nodeType === nodeType);
      expect(rows).toHaveLength(PROCESS_RUNS);
      expect(maxOverlap(rows.map((r) => [r.startedAt!.getTime(), r.finishedAt!.getTime()]))).toBeLessThanOrEqual(3);
      // The owner names the submitting process (`<pid>-<uuid>`): both children submitted some.
      const owners = new Set(rows.map((r) => Number(String(r.owner).split('-')[0])));
      expect([...owners].sort()).toEqual([...childPids].sort());
    },
  );
});
