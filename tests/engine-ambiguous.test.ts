/**
 * A submission whose answer is lost (the connection drops after Freepik created the
 * task) is reconciled through the endpoint's task list: the one unclaimed task is adopted; when
 * the list cannot tell (several candidates, or another unresolved submission could own the task)
 * the node fails with ambiguous_submit and records the tasks it saw; when the list shows no task
 * after a grace period, the request is sent once more and the node run marked possibleDuplicateCharge.
 * Node runs that gave up are no rivals for ever (issue 10, item 3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { seedPipeline, smallPng, startHarness, type Harness } from './support/engine-harness.ts';
import { startLossyProxy } from './support/lossy-proxy.ts';

const GEMINI_PATH = '/v1/ai/gemini-2-5-flash-image-preview';

describe('lost submission answers', () => {
  let sim: RunningSimulator;
  let proxy: Awaited<ReturnType<typeof startLossyProxy>>;
  let h: Harness;
  const apiKey = `ambiguous-${Date.now()}`;
  beforeAll(async () => {
    sim = await startSimulator({ latencyMs: 150, rateLimits: false });
    proxy = await startLossyProxy(sim.url, GEMINI_PATH);
    h = await startHarness({
      kind: 'pglite',
      existingSim: sim,
      // A short submit window: a rival's POST is given 2 s + 5 s to settle before a decision.
      config: { freepik: { baseUrl: proxy.url, apiKey }, submitTimeoutMs: 2_000 },
    });
  });
  afterAll(async () => {
    await h?.close();
    await proxy?.close();
    await sim?.close();
  });

  it('adopts the task found in the list instead of submitting again', async () => {
    const input = await smallPng(10, 10);
    const { runId } = await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri }, cache: { mode: 'off' } });
    const run = await h.engine.waitForRun(runId, 20_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(sim.stats().submissions['freepik.gemini-2-5-flash']).toBe(1);
    expect(h.engine.stats.listRequests).toBe(1);
    expect(run.nodes.find((n) => n.nodeId === 'restore')!.attempt).toBe(1);
  });

  it('adopts its own task when the other submissions of the endpoint resolve normally', async () => {
    // Three runs at once; one answer is lost. The others journal their tasks (or are waited for
    // while their POSTs may still be in flight), which leaves exactly one unclaimed task.
    proxy.arm();
    const before = sim.stats().submissions['freepik.gemini-2-5-flash'] ?? 0;
    const inputs = await Promise.all([1, 2, 3].map((seed) => smallPng(10, 10, seed)));
    const started = await Promise.all(inputs.map((input) => h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri }, cache: { mode: 'off' } })));
    const runs = await Promise.all(started.map(({ runId }) => h.engine.waitForRun(runId, 30_000)));
    for (const run of runs) expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(sim.stats().submissions['freepik.gemini-2-5-flash']).toBe(before + 3);
    const taskIds = runs.map((run) => run.nodes.find((n) => n.nodeId === 'restore')!.taskId);
    expect(new Set(taskIds).size).toBe(3);
  });

  it('fails the node with ambiguous_submit when the list cannot tell which task is ours', async () => {
    // A task of the same key that no node run knows about: now two would be candidates.
    await fetch(`${sim.url}${GEMINI_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-freepik-api-key': apiKey },
      body: JSON.stringify({ prompt: 'made elsewhere' }),
    });
    proxy.arm();
    const before = sim.stats().submissions['freepik.gemini-2-5-flash'] ?? 0;
    const input = await smallPng(10, 10);
    const { runId } = await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri }, cache: { mode: 'off' } });
    const run = await h.engine.waitForRun(runId, 20_000);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'ambiguous_submit', nodeId: 'restore' });
    expect(run.error!.message).toContain('not re-sent');
    expect(sim.stats().submissions['freepik.gemini-2-5-flash']).toBe(before + 1);
    expect(run.nodes.find((n) => n.nodeId === 'upscale')!.status).toBe('skipped');
  });

  it("never adopts a task that another unresolved submission of the endpoint could own", async () => {
    // Two runs at once: one POST never reaches Freepik, the other creates a task whose answer is
    // lost. The list then holds one unclaimed task, and either run could be its owner: neither
    // adopts it. The one that gives up records it as a possible orphan; if the other then finds no
    // task of its own, it sends once more and says so on its node run.
    proxy.armPair();
    const before = sim.stats().submissions['freepik.gemini-2-5-flash'] ?? 0;
    const [a, b] = await Promise.all([smallPng(10, 10, 1), smallPng(10, 10, 2)]);
    const started = await Promise.all([a, b].map((input) => h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri }, cache: { mode: 'off' } })));
    const runs = await Promise.all(started.map(({ runId }) => h.engine.waitForRun(runId, 30_000)));
    const resent = runs.filter((run) => run.nodes.find((n) => n.nodeId === 'restore')!.possibleDuplicateCharge);
    expect(sim.stats().submissions['freepik.gemini-2-5-flash']).toBe(before + 1 + resent.length);
    expect(resent.length).toBeLessThanOrEqual(1);
    const orphans = runs.flatMap((run) => ((run.error as { tasks?: string[] } | undefined)?.tasks ?? []));
    for (const run of runs) {
      const restore = run.nodes.find((n) => n.nodeId === 'restore')!;
      if (run.status === 'succeeded') {
        expect(restore.possibleDuplicateCharge).toBe(true);
        expect(orphans).not.toContain(restore.taskId);
        continue;
      }
      expect(run.status).toBe('failed');
      expect(run.error).toMatchObject({ code: 'ambiguous_submit', nodeId: 'restore' });
      expect(restore.taskId).toBeFalsy();
    }
  });

  it('a node run that gave up earlier is no rival for ever: the next lost answer is adopted from the list', async () => {
    // The runs above left failed ambiguous node runs of this endpoint and unclaimed tasks in the list.
    proxy.arm();
    const before = sim.stats().submissions['freepik.gemini-2-5-flash'] ?? 0;
    const input = await smallPng(10, 10, 5);
    const { runId } = await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri } });
    const run = await h.engine.waitForRun(runId, 30_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(sim.stats().submissions['freepik.gemini-2-5-flash']).toBe(before + 1);
    expect(run.nodes.find((n) => n.nodeId === 'restore')!.possibleDuplicateCharge).toBeUndefined();
  });

  it('a POST that never reached Freepik (no task in the list after the grace period) is sent again once, and marked', async () => {
    proxy.armBefore();
    const before = sim.stats().submissions['freepik.gemini-2-5-flash'] ?? 0;
    const input = await smallPng(10, 10, 6);
    const { runId } = await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri } });
    const run = await h.engine.waitForRun(runId, 30_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(sim.stats().submissions['freepik.gemini-2-5-flash']).toBe(before + 1);
    const restore = run.nodes.find((n) => n.nodeId === 'restore')!;
    expect(restore.possibleDuplicateCharge).toBe(true);
    expect(restore.attempt).toBe(2);
  });
});
