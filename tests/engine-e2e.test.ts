/**
 * The seed pipeline end to end over real HTTP against the simulator, on embedded
 * PGlite and on real PostgreSQL: input photo → Gemini → Precision V2 ×4 → file service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { AssetRef, RunEvent } from '@pikflow/pipeline';
import { DB_KINDS } from './support/test-db.ts';
import { seedPipeline, smallPng, startHarness, type Harness } from './support/engine-harness.ts';

describe.each(DB_KINDS)('seed pipeline on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ kind, sim: { latencyMs: 150 } });
  });
  afterAll(async () => h?.close());

  it('restores, upscales ×4 and stores the result in the file service', async () => {
    const input = await smallPng(40, 30);
    const events: RunEvent[] = [];
    const { runId } = await h.engine.startRun({ document: seedPipeline(4), inputs: { photo: input.dataUri } });
    const unsubscribe = h.engine.subscribe(runId, 0, (e) => events.push(e));
    const run = await h.engine.waitForRun(runId, 30_000);
    unsubscribe();
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');

    // Output image is 4× the input (Gemini keeps the size; Precision V2 multiplies it).
    const image = run.outputs!.image as AssetRef;
    expect(image.url).toBe(`/api/assets/${image.assetId}`);
    const { bytes } = await h.engine.assets.read(image.assetId);
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height]).toEqual([160, 120]);
    expect([image.width, image.height]).toEqual([160, 120]);

    // It landed in the file service: the stored URL serves the same picture.
    const storedUrl = run.outputs!.stored_url as string;
    expect(storedUrl.startsWith(h.sim.url)).toBe(true);
    const stored = await fetch(storedUrl);
    expect(stored.status).toBe(200);
    const storedMeta = await sharp(Buffer.from(await stored.arrayBuffer())).metadata();
    expect([storedMeta.width, storedMeta.height]).toEqual([160, 120]);

    // Every Freepik node was submitted once and its task id journaled.
    const stats = h.sim.stats();
    expect(stats.submissions['freepik.gemini-2-5-flash']).toBe(1);
    expect(stats.submissions['freepik.upscaler-precision-v2']).toBe(1);
    for (const node of run.nodes) expect(node.status).toBe('succeeded');
    expect(run.nodes.find((n) => n.nodeId === 'restore')!.taskId).toBeTruthy();

    // Events tell the story in order, ending with run.finished.
    await new Promise((r) => setTimeout(r, 50));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('run.queued');
    expect(types.at(-1)).toBe('run.finished');
    expect(types).toContain('node.submitted');
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));

    // A late subscriber gets the same history replayed.
    const replay: RunEvent[] = [];
    const off = h.engine.subscribe(runId, 0, (e) => replay.push(e));
    await new Promise((r) => setTimeout(r, 200));
    off();
    expect(replay.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('counts and reports each status check that finds the task unfinished, then schedules the next', async () => {
    // Tasks take 1.5 s and checks start after 100 ms: several checks find each task unfinished,
    // even on a loaded machine.
    h.sim.configure({ latencyMs: 1_500 });
    try {
      const input = await smallPng(20, 20);
      const events: RunEvent[] = [];
      const { runId } = await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri } });
      const unsubscribe = h.engine.subscribe(runId, 0, (e) => events.push(e));
      const run = await h.engine.waitForRun(runId, 30_000);
      await new Promise((r) => setTimeout(r, 50));
      unsubscribe();
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      for (const nodeId of ['restore', 'upscale']) {
        const progress = events.filter((e) => e.type === 'node.progress' && e.nodeId === nodeId);
        expect(progress.length, nodeId).toBeGreaterThan(0);
        // One event per unfinished check, numbered; the node's count adds the check that found it done.
        expect(progress.map((e) => e.data?.pollCount)).toEqual(progress.map((_, i) => i + 1));
        for (const e of progress) expect(['CREATED', 'IN_PROGRESS']).toContain(e.data?.status);
        expect(run.nodes.find((n) => n.nodeId === nodeId)!.pollCount).toBe(progress.length + 1);
      }
    } finally {
      h.sim.configure({ latencyMs: 150 });
    }
  });

  it('lists runs newest first with a cursor', async () => {
    const input = await smallPng(20, 20);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri } })).runId);
    for (const id of ids) await h.engine.waitForRun(id, 30_000);
    const first = await h.engine.listRuns({ limit: 2 });
    expect(first.runs).toHaveLength(2);
    expect(first.nextCursor).toBeTruthy();
    const second = await h.engine.listRuns({ limit: 2, cursor: first.nextCursor });
    const seen = [...first.runs, ...second.runs].map((r) => r.id);
    expect(seen.slice(0, 3)).toEqual([...ids].reverse());
  });
});
