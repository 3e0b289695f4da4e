/**
 * Bypass end to end: a bypassed Gemini in the Photo restoration template hands the photo to the
 * upscaler without one Gemini submission (engine on PGlite + the in-process simulator), and a
 * bypass with nothing to pass through is refused by the REST trigger naming node and port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES, type AssetRef, type PipelineDocument, type RunView } from '@pikflow/pipeline';
import { smallPng, startHarness, type Harness } from './support/engine-harness.ts';
import { http, startTestServer, type TestServer } from './server-support.ts';

const GEMINI = 'freepik.gemini-2-5-flash';
const UPSCALE = 'freepik.upscaler-precision-v2';

function restorationWithBypass(): PipelineDocument {
  const doc = structuredClone(TEMPLATES.find((t) => t.id === 'photo-restoration')!.document);
  doc.nodes.find((n) => n.id === 'restore')!.bypass = true;
  return doc;
}

describe('bypass on the engine (PGlite)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ kind: 'pglite', sim: { latencyMs: 50, rateLimits: false, seed: 14 } });
  });
  afterAll(async () => h?.close());

  it('a bypassed Gemini passes the photo to the upscaler: 0 Gemini submissions, the run succeeds', async () => {
    const photo = (await smallPng(40, 30, 3)).dataUri;
    h.sim.resetStats();
    const { runId } = await h.engine.startRun({ document: restorationWithBypass(), inputs: { photo } });
    const view: RunView = await h.engine.waitForRun(runId, 60_000);
    expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
    const stats = h.sim.stats();
    expect(stats.submissions[GEMINI] ?? 0).toBe(0);
    expect(stats.submissions[UPSCALE]).toBe(1);

    const byId = (id: string) => view.nodes.find((n) => n.nodeId === id)!;
    const photoOut = byId('photo').outputs!.image as AssetRef;
    expect(byId('restore')).toMatchObject({ status: 'bypassed', attempt: 0 });
    // The photo itself is what the bypassed node hands on, to the upscaler and to its own outputs.
    expect((byId('restore').outputs!.image as AssetRef).assetId).toBe(photoOut.assetId);
    expect((byId('upscale').inputs!.image as AssetRef).assetId).toBe(photoOut.assetId);
    expect((view.outputs!.restored_image as AssetRef).assetId).toBe(photoOut.assetId);
    expect(view.outputs!.upscaled_image).toMatchObject({ assetId: expect.any(String) });
    expect(view.usage.freepikSubmissions).toBe(1);
  });
});

describe('bypass on the REST trigger', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('a bypass with no same-typed input is refused with 4xx naming the node and the port', async () => {
    const document = {
      version: 1,
      nodes: [
        { id: 'photo', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
        { id: 'animate', type: 'freepik.kling-v2', label: 'Animate', params: { prompt: 'wave' }, position: { x: 300, y: 0 }, bypass: true },
        { id: 'clip', type: 'output', params: { name: 'clip' }, position: { x: 600, y: 0 } },
      ],
      edges: [
        { id: 'e1', source: 'photo', sourceHandle: 'image', target: 'animate', targetHandle: 'image' },
        { id: 'e2', source: 'animate', sourceHandle: 'video', target: 'clip', targetHandle: 'value' },
      ],
    };
    const saved = await http(`${server.url}/api/pipelines?draft=true`, { method: 'POST', json: { name: 'Bypassed video', document } });
    expect(saved.status).toBe(201);
    expect(saved.body.problems).toEqual([expect.objectContaining({ code: 'invalid_bypass', nodeId: 'animate', field: 'video' })]);

    const run = await http(`${server.url}/api/pipelines/${saved.body.id}/runs`, { method: 'POST', json: { inputs: { photo: 'https://example.com/a.png' } } });
    expect(run.status).toBe(400);
    expect(run.body.error.message).toContain(`cannot bypass "Animate" (animate): output 'video' (video) has no video input to pass through`);
    expect(run.body.error).toMatchObject({ nodeId: 'animate', field: 'video' });

    // Saved without ?draft it is refused outright, and the stored version keeps its bypass flag.
    expect((await http(`${server.url}/api/pipelines`, { method: 'POST', json: { name: 'x', document } })).status).toBe(400);
    const stored = await http(`${server.url}/api/pipelines/${saved.body.id}`);
    expect(stored.body.document.nodes[1].bypass).toBe(true);
  });
});
