/**
 * Kling v2 and Elements take "up to 3 concurrent requests per user" (S4:4683, 5017, 5348).
 * The engine holds the count in the database, so the limit holds for the API key across
 * worker processes: five Kling runs at once, on PGlite (one engine) and on PostgreSQL (two
 * engines sharing the database), never put a 4th task in flight — the simulator, which
 * answers a 4th unfinished task with 429, refuses none — and every run still succeeds:
 * the nodes that had to wait were re-scheduled, not failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeRuns, type DbHandle } from '@pikflow/db';
import type { PikflowEngine } from '@pikflow/engine';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import type { PipelineDocument } from '@pikflow/pipeline';
import { maxOverlap, smallPng, startWorkers, type WorkerSet } from './support/engine-harness.ts';
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
