/**
 * Faults: with 10% 503, 5% 429 and 5% FAILED tasks injected, 50 runs all end; the
 * successful ones are correct, the failed ones name the node and the reason, and no
 * node's task was submitted twice. Plus: cancellation, node timeouts, bad inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { nodeRuns } from '@pikflow/db';
import type { AssetRef } from '@pikflow/pipeline';
import { seedPipeline, smallPng, startHarness, type Harness } from './support/engine-harness.ts';

const GEMINI = 'freepik.gemini-2-5-flash';
const UPSCALE = 'freepik.upscaler-precision-v2';

describe('fault injection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      kind: 'pglite',
      sim: { latencyMs: 150, seed: 1234, faults: { http503: 0.1, http429: 0.05, failedTasks: 0.05, retryAfterSeconds: 1 } },
      config: { poll: { initialDelayMs: 150, factor: 1.5, maxDelayMs: 600 } },
    });
  });
  afterAll(async () => h?.close());

  it('ends all 50 runs correctly without submitting any task twice', async () => {
    const input = await smallPng(20, 10);
    const runIds = await Promise.all(
      Array.from({ length: 50 }, async () => (await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri }, cache: { mode: 'off' } })).runId),
    );
    const runs = await Promise.all(runIds.map((id) => h.engine.waitForRun(id, 90_000)));
    expect(runs.every((r) => r.status === 'succeeded' || r.status === 'failed')).toBe(true);

    const succeeded = runs.filter((r) => r.status === 'succeeded');
    const failed = runs.filter((r) => r.status === 'failed');
    expect(succeeded.length).toBeGreaterThan(35);
    for (const run of succeeded) {
      const image = run.outputs!.image as AssetRef;
      const { bytes } = await h.engine.assets.read(image.assetId);
      const meta = await sharp(bytes).metadata();
      expect([meta.width, meta.height]).toEqual([40, 20]);
      expect(typeof run.outputs!.stored_url).toBe('string');
    }
    for (const run of failed) {
      expect(['restore', 'upscale']).toContain(run.error!.nodeId);
      expect(run.error!.code).toBe('task_failed');
      expect(run.error!.message).toContain('FAILED');
      // Downstream of the failed node nothing ran.
      expect(run.nodes.find((n) => n.nodeId === 'upload')!.status).toBe('skipped');
    }

    // One submission per node that submitted, and every journaled task id is distinct.
    const stats = h.sim.stats();
    const rows = await h.handle.db.select().from(nodeRuns);
    const geminiRows = rows.filter((r) => r.nodeType === GEMINI && r.taskId);
    const upscaleRows = rows.filter((r) => r.nodeType === UPSCALE && r.taskId);
    expect(stats.submissions[GEMINI]).toBe(50);
    expect(geminiRows).toHaveLength(50);
    expect(stats.submissions[UPSCALE]).toBe(upscaleRows.length);
    const taskIds = rows.flatMap((r) => (r.taskId && r.nodeType.startsWith('freepik.') ? [r.taskId] : []));
    expect(new Set(taskIds).size).toBe(taskIds.length);
    expect(rows.filter((r) => r.nodeType.startsWith('freepik.') && r.attempt > 1)).toHaveLength(0);
    // The faults did happen.
    expect(stats.refused.injected503 + stats.refused.injected429).toBeGreaterThan(0);
  });
});

describe('cancellation, timeouts and bad input', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ kind: 'pglite', sim: { latencyMs: 3_000 }, config: { poll: { initialDelayMs: 100, factor: 1.5, maxDelayMs: 300 }, nodeTimeoutMs: 1_500 } });
  });
  afterAll(async () => h?.close());

  it('cancels a run in flight: queued nodes cancelled, the task no longer waited on', async () => {
    const input = await smallPng(8, 8);
    const { runId } = await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri }, cache: { mode: 'off' } });
    const submitted = new Promise<void>((resolve) => {
      const off = h.engine.subscribe(runId, 0, (e) => {
        if (e.type === 'node.submitted') {
          off();
          resolve();
        }
      });
    });
    await submitted;
    const view = await h.engine.cancelRun(runId);
    expect(view.status).toBe('cancelled');
    expect(view.nodes.find((n) => n.nodeId === 'restore')!.status).toBe('cancelled');
    expect(view.nodes.find((n) => n.nodeId === 'upscale')!.status).toBe('cancelled');
    expect(view.nodes.find((n) => n.nodeId === 'restore')!.taskId).toBeTruthy();
    const polls = h.sim.stats().totals.polls;
    await new Promise((r) => setTimeout(r, 600));
    expect(h.sim.stats().totals.polls).toBe(polls);
    // Cancelling again is harmless.
    expect((await h.engine.cancelRun(runId)).status).toBe('cancelled');
  });

  it('fails a node whose task outlives the node timeout, naming it', async () => {
    const input = await smallPng(8, 8);
    const { runId } = await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri }, cache: { mode: 'off' } });
    const run = await h.engine.waitForRun(runId, 20_000);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'timeout', nodeId: 'restore' });
    expect(run.nodes.find((n) => n.nodeId === 'upscale')!.status).toBe('skipped');
  });

  it('refuses a webhook-only endpoint when this server cannot receive webhooks, naming the node', async () => {
    const document = {
      version: 1 as const,
      nodes: [
        { id: 'icon', type: 'freepik.text-to-icon-preview', params: { prompt: 'a lighthouse' }, position: { x: 0, y: 0 } },
        { id: 'out', type: 'output', params: { name: 'icon' }, position: { x: 300, y: 0 } },
      ],
      edges: [{ id: 'e1', source: 'icon', sourceHandle: 'image', target: 'out', targetHandle: 'value' }],
    };
    await expect(h.engine.startRun({ document, inputs: {} })).rejects.toMatchObject({
      code: 'validation_failed',
      nodeId: 'icon',
      message: expect.stringMatching(/only by webhook; set PUBLIC_URL and FREEPIK_WEBHOOK_SECRET/),
    });
    expect(h.sim.stats().submissions['freepik.text-to-icon-preview'] ?? 0).toBe(0);
  });

  it('refuses invalid documents and inputs before recording a run', async () => {
    await expect(h.engine.startRun({ document: { version: 1, nodes: [], edges: [] }, inputs: {} })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(h.engine.startRun({ document: seedPipeline(2), inputs: {} })).rejects.toMatchObject({ code: 'invalid_input', field: 'photo' });
    await expect(h.engine.startRun({ document: seedPipeline(2), inputs: { photo: 'javascript:alert(1)' } })).rejects.toMatchObject({ code: 'invalid_input' });
    // Caller-supplied URLs never reach private addresses, simulator mode included.
    await expect(h.engine.startRun({ document: seedPipeline(2), inputs: { photo: 'http://127.0.0.1:9/photo.png' } })).rejects.toMatchObject({ code: 'invalid_input', field: 'photo' });
    await expect(h.engine.startRun({ document: seedPipeline(2), inputs: { photo: '00000000-0000-4000-8000-000000000000' } })).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'photo',
      message: expect.stringMatching(/asset 00000000-0000-4000-8000-000000000000 does not exist/),
    });
    const notImage = `data:image/png;base64,${Buffer.from('definitely not a png file').toString('base64')}`;
    await expect(h.engine.startRun({ document: seedPipeline(2), inputs: { photo: notImage } })).rejects.toMatchObject({ code: 'unsupported_media_type' });
    const broken = seedPipeline(2);
    (broken.nodes[2]!.params as Record<string, unknown>).scale_factor = 99;
    await expect(h.engine.startRun({ document: broken, inputs: { photo: (await smallPng(4, 4)).dataUri } })).rejects.toMatchObject({
      code: 'validation_failed',
      nodeId: 'upscale',
    });
  });
});
