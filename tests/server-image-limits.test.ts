/**
 * Documented limits before any request: a run triggered with an image smaller than Kling's
 * 300×300 px (catalog imageLimits) or a prompt over its 2,500 characters is a 400 naming the node
 * and the port, and the simulator sees nothing; an image made too small upstream fails the Kling
 * node in the executor, unsent.
 */
import { randomBytes } from 'node:crypto';
import type { RunView } from '@pikflow/pipeline';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { http, makePng, startTestServer, upload, waitForRun, type TestServer } from './server-support.ts';

const KEY = `limits_${randomBytes(16).toString('hex')}`;

let sim: RunningSimulator;
let server: TestServer;
let base: string;

const photoInto = (target: { id: string; type: string; params?: Record<string, unknown> }) => ({
  version: 1,
  nodes: [
    { id: 'photo', type: 'input.image', position: { x: 0, y: 0 }, params: { name: 'photo' } },
    { ...target, position: { x: 300, y: 0 }, params: target.params ?? {} },
    { id: 'out', type: 'output', position: { x: 600, y: 0 }, params: { name: 'video' } },
  ],
  edges: [
    { id: 'e1', source: 'photo', sourceHandle: 'image', target: target.id, targetHandle: 'image' },
    { id: 'e2', source: target.id, sourceHandle: 'video', target: 'out', targetHandle: 'value' },
  ],
});

async function createPipeline(name: string, document: unknown): Promise<string> {
  const created = await http(`${base}/api/pipelines`, { method: 'POST', json: { name, document } });
  expect(created.status, created.text).toBe(201);
  return created.body.id;
}

beforeAll(async () => {
  sim = await startSimulator({ apiKeys: [KEY], latencyMs: 50 });
  server = await startTestServer({ simulator: sim, config: { freepikApiKey: KEY } });
  base = server.url;
});

afterAll(async () => {
  await server?.stop();
  await sim?.close();
});

test('/api/catalog serves each port\'s limits to the editor', async () => {
  const catalog = await http(`${base}/api/catalog`);
  const kling = catalog.body.find((n: { id: string }) => n.id === 'freepik.kling-v2-1-master');
  expect(kling.inputs.find((p: { name: string }) => p.name === 'image').imageLimits).toEqual({ minWidth: 300, minHeight: 300, minAspect: 0.4, maxAspect: 2.5, maxBytes: 10 * 1024 * 1024 });
  const upscaler = catalog.body.find((n: { id: string }) => n.id === 'freepik.upscaler-creative');
  expect(upscaler.inputs[0].imageLimits).toEqual({ maxOutputMegapixels: { megapixels: 25.3, scaleParam: 'scale_factor' } });
});

describe('documented image limits at trigger time', () => {
  let pipelineId: string;

  beforeAll(async () => {
    pipelineId = await createPipeline('Too small for Kling', photoInto({ id: 'kling', type: 'freepik.kling-v2', params: { duration: '5' } }));
  });

  test('an uploaded 200×200 photo into Kling is a 400 naming node, port and limit; nothing reaches Freepik', async () => {
    const uploaded = await upload(base, await makePng(200, 200), 'small.png');
    expect(uploaded.status).toBe(201);
    const trigger = await http(`${base}/api/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo: uploaded.body.assetId } } });
    expect(trigger.status, trigger.text).toBe(400);
    expect(trigger.body.error).toMatchObject({ code: 'invalid_input', nodeId: 'kling', field: 'image' });
    expect(trigger.body.error.message).toContain('node kling (Kling v2 video)');
    expect(trigger.body.error.message).toContain('is 200×200 px; it must be at least 300×300 px');
    expect(sim.stats().requests).toBe(0);
    // No run was recorded either.
    const runs = await http(`${base}/api/runs?pipelineId=${pipelineId}`);
    expect(runs.body.runs).toEqual([]);
  });

  test('a data URI too wide for the aspect range is refused the same way', async () => {
    const wide = await makePng(900, 300); // 3:1, past Kling's 2.5:1
    const trigger = await http(`${base}/api/pipelines/${pipelineId}/runs`, {
      method: 'POST',
      json: { inputs: { photo: `data:image/png;base64,${wide.toString('base64')}` } },
    });
    expect(trigger.status, trigger.text).toBe(400);
    expect(trigger.body.error).toMatchObject({ code: 'invalid_input', nodeId: 'kling', field: 'image' });
    expect(trigger.body.error.message).toContain('the aspect must be 1:2.5–2.5:1');
    expect(sim.stats().requests).toBe(0);
  });

  test('a batch with one too-small item is refused naming the item', async () => {
    const good = await upload(base, await makePng(400, 300), 'good.png');
    const small = await upload(base, await makePng(120, 400), 'small.png');
    const batch = await http(`${base}/api/pipelines/${pipelineId}/batches`, {
      method: 'POST',
      json: { items: [{ inputs: { photo: good.body.assetId } }, { inputs: { photo: small.body.assetId }, label: 'tiny' }] },
    });
    expect(batch.status, batch.text).toBe(400);
    expect(batch.body.error.message).toContain('item 2 (tiny)');
    expect(batch.body.error.message).toContain('at least 300×300 px');
    expect(sim.stats().requests).toBe(0);
  });

  test("a prompt linked from a text input is held to Kling's 2,500 characters at the trigger", async () => {
    const document = photoInto({ id: 'kling', type: 'freepik.kling-v2', params: { duration: '5' } });
    document.nodes.push({ id: 'motion', type: 'input.text', position: { x: 0, y: 200 }, params: { name: 'motion' } });
    document.edges.push({ id: 'e3', source: 'motion', sourceHandle: 'text', target: 'kling', targetHandle: 'prompt' });
    const id = await createPipeline('Long prompt', document);
    const ok = await upload(base, await makePng(400, 300), 'ok.png');
    const trigger = await http(`${base}/api/pipelines/${id}/runs`, { method: 'POST', json: { inputs: { photo: ok.body.assetId, motion: 'pan '.repeat(700) } } });
    expect(trigger.status, trigger.text).toBe(400);
    expect(trigger.body.error).toMatchObject({ code: 'invalid_input', nodeId: 'kling', field: 'prompt' });
    expect(trigger.body.error.message).toBe('input "motion" goes to node kling (Kling v2 video): prompt: at most 2500 characters');
    expect(sim.stats().requests).toBe(0);
  });

  test('a photo within the limits runs', async () => {
    const ok = await upload(base, await makePng(400, 300), 'ok.png');
    const trigger = await http(`${base}/api/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo: ok.body.assetId } } });
    expect(trigger.status, trigger.text).toBe(202);
    const view = await waitForRun(base, trigger.body.runId, 120_000);
    expect(view.status).toBe('succeeded');
    expect(sim.stats().submissions['freepik.kling-v2']).toBe(1);
  });
});

describe('documented image limits on an image made upstream', () => {
  test('Precision V2 makes 200×200 from 100×100; the Kling node fails naming the limit and sends nothing', async () => {
    const document = {
      version: 1,
      nodes: [
        { id: 'photo', type: 'input.image', position: { x: 0, y: 0 }, params: { name: 'photo' } },
        { id: 'upscale', type: 'freepik.upscaler-precision-v2', position: { x: 300, y: 0 }, params: { scale_factor: 2 } },
        { id: 'kling', type: 'freepik.kling-v2', position: { x: 600, y: 0 }, params: { duration: '5' } },
        { id: 'out', type: 'output', position: { x: 900, y: 0 }, params: { name: 'video' } },
      ],
      edges: [
        { id: 'e1', source: 'photo', sourceHandle: 'image', target: 'upscale', targetHandle: 'image' },
        { id: 'e2', source: 'upscale', sourceHandle: 'image', target: 'kling', targetHandle: 'image' },
        { id: 'e3', source: 'kling', sourceHandle: 'video', target: 'out', targetHandle: 'value' },
      ],
    };
    const pipelineId = await createPipeline('Upscaled, still too small', document);
    const before = sim.stats();
    const photo = await upload(base, await makePng(100, 100), 'tiny.png');
    const trigger = await http(`${base}/api/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo: photo.body.assetId } } });
    expect(trigger.status, trigger.text).toBe(202);
    const view: RunView = await waitForRun(base, trigger.body.runId, 120_000);
    expect(view.status).toBe('failed');
    const kling = view.nodes.find((n) => n.nodeId === 'kling')!;
    expect(kling.status).toBe('failed');
    expect(kling.error).toMatchObject({ code: 'invalid_input' });
    expect(kling.error!.message).toContain('Start image (image) is 200×200 px; it must be at least 300×300 px; nothing was sent to Freepik');
    const after = sim.stats();
    expect(after.submissions['freepik.upscaler-precision-v2'] ?? 0).toBe((before.submissions['freepik.upscaler-precision-v2'] ?? 0) + 1);
    expect(after.submissions['freepik.kling-v2'] ?? 0).toBe(before.submissions['freepik.kling-v2'] ?? 0);
    expect(after.invalid['freepik.kling-v2'] ?? 0).toBe(0);
  });
});
