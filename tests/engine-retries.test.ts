/**
 * Retries are visible while they happen: when Freepik answers 503 (the simulator's fault
 * injection), the client's wait before repeating the request becomes a `node.retrying` event
 * {what, reason, attempt, retryAt} and the node run view's `retrying` — for a submission and for
 * a status read — and once Freepik answers again the node succeeds and the notice is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { nodeRuns } from '@pikflow/db';
import type { RunEvent, RunView } from '@pikflow/pipeline';
import { oneNodePipeline, smallPng, startHarness, type Harness } from './support/engine-harness.ts';
import { DB_KINDS } from './support/test-db.ts';

const upscale = oneNodePipeline({ id: 'upscale', type: 'freepik.upscaler-precision-v2', params: { scale_factor: 2, flavor: 'photo' }, imagePort: 'image', outputPort: 'image' }, 'image');

describe.each(DB_KINDS)('retry notices on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ kind, sim: { latencyMs: 300, seed: 7 }, config: { poll: { initialDelayMs: 100, factor: 1.5, maxDelayMs: 500 } } });
  });
  afterAll(async () => {
    h?.sim.configure({ faults: { http503: 0 } });
    await h?.close();
  });

  /**
   * Starts the upscale with every Freepik request answered 503 from `from` on ('start': at once,
   * 'submitted': after the task was made, so the status reads fail); at the first retry notice it
   * reads the run view, then lets Freepik answer again.
   */
  async function runThrough503(from: 'start' | 'submitted') {
    const events: RunEvent[] = [];
    const views: Promise<RunView | null>[] = [];
    if (from === 'start') h.sim.configure({ faults: { http503: 1 } });
    const { runId } = await h.engine.startRun({ document: upscale, inputs: { photo: (await smallPng(20, 10)).dataUri }, cache: { mode: 'off' } });
    const unsubscribe = h.engine.subscribe(runId, 0, (event) => {
      events.push(event);
      if (event.type === 'node.submitted' && from === 'submitted') h.sim.configure({ faults: { http503: 1 } });
      if (event.type === 'node.retrying' && views.length === 0) {
        // The request cannot return while every answer is 503 and attempts remain: the view still says so.
        views.push(h.engine.getRun(runId));
        void views[0]!.finally(() => h.sim.configure({ faults: { http503: 0 } }));
      }
    });
    try {
      const run = await h.engine.waitForRun(runId, 60_000);
      // The notice went with the request that answered: nothing is left on the row.
      const rows = await h.handle.db.select({ retrying: nodeRuns.retrying }).from(nodeRuns).where(eq(nodeRuns.runId, runId));
      expect(rows.map((r) => r.retrying)).toEqual(rows.map(() => null));
      return { run, events, during: await views[0] };
    } finally {
      unsubscribe();
      h.sim.configure({ faults: { http503: 0 } });
    }
  }

  it('a submission answered 503 shows node.retrying with retryAt, then the node succeeds', async () => {
    const { run, events, during } = await runThrough503('start');
    const retries = events.filter((e) => e.type === 'node.retrying');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]).toMatchObject({ nodeId: 'upscale', data: { what: 'submit', reason: 'HTTP 503', attempt: 2 } });
    const retryAt = Date.parse(String(retries[0]!.data!.retryAt));
    expect(retryAt).toBeGreaterThanOrEqual(Date.parse(retries[0]!.at) - 1_000);
    // The notice comes before the task exists, and the node carries on to its task and result.
    const order = events.map((e) => `${e.type}:${e.nodeId ?? ''}`);
    expect(order.indexOf('node.retrying:upscale')).toBeLessThan(order.indexOf('node.submitted:upscale'));
    expect(order).toContain('node.completed:upscale');

    const node = during!.nodes.find((n) => n.nodeId === 'upscale')!;
    expect(node.status).toBe('running');
    expect(node.retrying).toMatchObject({ what: 'submit', reason: 'HTTP 503', attempt: 2, retryAt: retries[0]!.data!.retryAt });

    expect(run.status).toBe('succeeded');
    const after = run.nodes.find((n) => n.nodeId === 'upscale')!;
    expect(after.status).toBe('succeeded');
    expect(after.retrying).toBeUndefined();
    // No task was made by the refused submissions: one task, one attempt journaled.
    expect(after.attempt).toBe(1);
  });

  it('a status read answered 503 shows node.retrying (what: status) while the task is submitted, then the node succeeds', async () => {
    const { run, events, during } = await runThrough503('submitted');
    const retry = events.find((e) => e.type === 'node.retrying');
    expect(retry).toMatchObject({ nodeId: 'upscale', data: { what: 'status', reason: 'HTTP 503', attempt: 2 } });
    const node = during!.nodes.find((n) => n.nodeId === 'upscale')!;
    expect(node.status).toBe('submitted');
    expect(node.retrying).toMatchObject({ what: 'status', reason: 'HTTP 503' });
    expect(run.status).toBe('succeeded');
    expect(run.nodes.find((n) => n.nodeId === 'upscale')!.retrying).toBeUndefined();
    // The status events that follow the notice are what moves the node on.
    const order = events.map((e) => `${e.type}:${e.nodeId ?? ''}`);
    expect(order.lastIndexOf('node.retrying:upscale')).toBeLessThan(order.indexOf('node.completed:upscale'));
  });
});
