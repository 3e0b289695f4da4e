/**
 * The server over real HTTP, end to end on the simulator: the Photo restoration template,
 * an uploaded photo, the REST trigger, live progress over SSE, and the stored output at
 * 4× the input's size — with webhooks from the simulator to the server's own URL.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent, RunView } from '@pikflow/pipeline';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { http, makePng, readEvents, startTestServer, upload, waitForRun, type TestServer } from './server-support.ts';

const KEY = `e2e_${randomBytes(16).toString('hex')}`;
const SECRET = randomBytes(24).toString('base64url');

let sim: RunningSimulator;
let server: TestServer;
let base: string;
let pipelineId: string;
let photoAssetId: string;
let restoredAssetId: string;
let webDist: string;

beforeAll(async () => {
  sim = await startSimulator({ apiKeys: [KEY], webhookSecret: SECRET, latencyMs: 300 });
  // A built editor stand-in, to check static serving and the SPA fallback.
  webDist = mkdtempSync(join(tmpdir(), 'pikflow-web-'));
  mkdirSync(join(webDist, 'assets'));
  writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>Pikflow editor</title><div id="root"></div>');
  writeFileSync(join(webDist, 'assets', 'app-abc123.js'), 'console.log("editor")');
  server = await startTestServer({
    simulator: sim,
    config: { freepikApiKey: KEY, freepikWebhookSecret: SECRET },
    env: { SSE_HEARTBEAT_MS: '200', WEB_DIST_DIR: webDist },
  });
  base = server.url;
});

afterAll(async () => {
  await server?.stop();
  await sim?.close();
  rmSync(webDist, { recursive: true, force: true });
});

describe('Photo restoration over the REST API', () => {
  test('health says simulator, embedded PGlite, webhooks on', async () => {
    const { status, body } = await http(`${base}/api/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', mode: 'simulator', database: 'pglite', webhooks: true });
  });

  test('template → upload → trigger → SSE → output asset at 4× the photo', async () => {
    const created = await http(`${base}/api/templates/photo-restoration/pipelines`, { method: 'POST', json: { name: 'Grandma restored' } });
    expect(created.status).toBe(201);
    pipelineId = created.body.id;
    expect(created.body.version).toBe(1);

    const pipeline = await http(`${base}/api/pipelines/${pipelineId}`);
    expect(pipeline.body.name).toBe('Grandma restored');
    expect(pipeline.body.document.nodes.map((n: { type: string }) => n.type)).toEqual(
      expect.arrayContaining(['input.image', 'freepik.gemini-2-5-flash', 'freepik.upscaler-precision-v2', 'output']),
    );

    const png = await makePng(200, 150);
    const uploaded = await upload(base, png, 'grandma.png');
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ mime: 'image/png', width: 200, height: 150 });
    photoAssetId = uploaded.body.assetId;

    const trigger = await http(`${base}/api/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo: photoAssetId } } });
    expect(trigger.status).toBe(202);
    const runId: string = trigger.body.runId;
    expect(trigger.headers.get('location')).toBe(`/api/runs/${runId}`);

    const stream = await readEvents(`${base}/api/runs/${runId}/events`, { timeoutMs: 90_000 });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const types = stream.events.map((e) => e.type);
    expect(types.at(-1)).toBe('run.finished');
    expect(stream.events.at(-1)!.data).toMatchObject({ status: 'succeeded' });
    const ids = stream.events.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const nodeId of ['restore', 'upscale']) {
      const submitted = stream.events.find((e) => e.type === 'node.submitted' && e.nodeId === nodeId);
      expect(submitted?.data?.taskId, `node.submitted for ${nodeId}`).toEqual(expect.any(String));
      expect(stream.events.some((e) => e.type === 'node.completed' && e.nodeId === nodeId)).toBe(true);
    }

    const run = await http<RunView>(`${base}/api/runs/${runId}`);
    expect(run.status).toBe(200);
    expect(run.body.status).toBe('succeeded');
    expect(run.body.pipelineId).toBe(pipelineId);
    expect(run.body.nodes.every((n) => n.status === 'succeeded')).toBe(true);
    expect(run.body.nodes.find((n) => n.nodeId === 'upscale')?.taskId).toEqual(expect.any(String));

    const image = run.body.outputs?.upscaled_image as { assetId: string; url: string; mime: string };
    expect(image.url).toBe(`/api/assets/${image.assetId}`);
    const file = await fetch(`${base}${image.url}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toMatch(/^image\//);
    expect(file.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(file.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(Number(file.headers.get('content-length'))).toBe(bytes.length);
    const meta = await sharp(bytes).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual({ width: 800, height: 600 });

    // The same bytes again: the ETag answers 304.
    const again = await fetch(`${base}${image.url}`, { headers: { 'if-none-match': file.headers.get('etag')! } });
    expect(again.status).toBe(304);

    // The file service holds both generated images, each at the URL named after it (seeds 000 and 003):
    // the restored (Gemini) image at restored_url, its ×4 upscale at upscaled_url.
    const stored = async (name: string) => {
      const url = run.body.outputs?.[name] as string;
      expect(url.startsWith(sim.url), `${name} is a file-service URL`).toBe(true);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      const meta = await sharp(bytes).metadata();
      return { bytes, size: { width: meta.width, height: meta.height } };
    };
    const restored = await stored('restored_url');
    expect(restored.size).toEqual({ width: 200, height: 150 });
    const upscaled = await stored('upscaled_url');
    expect(upscaled.size).toEqual({ width: 800, height: 600 });
    expect(upscaled.bytes.equals(bytes)).toBe(true);
    // The restored image kept by Pikflow is the one stored.
    const restoredAsset = run.body.outputs?.restored_image as { url: string; assetId: string };
    restoredAssetId = restoredAsset.assetId;
    const kept = Buffer.from(await (await fetch(`${base}${restoredAsset.url}`)).arrayBuffer());
    expect(kept.equals(restored.bytes)).toBe(true);
  });

  test('?wait=true answers 200 with the finished run', async () => {
    const response = await http<RunView>(`${base}/api/pipelines/${pipelineId}/runs?wait=true&timeout=90`, {
      method: 'POST',
      json: { inputs: { photo: photoAssetId } },
    });
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('succeeded');
    expect(response.body.outputs?.restored_url).toEqual(expect.stringContaining(sim.url));
    expect(response.body.outputs?.upscaled_url).toEqual(expect.stringContaining(sim.url));
  });

  test("seed 000's Export step: the photo-export template upscales a restored image on demand and stores it", async () => {
    const created = await http(`${base}/api/templates/photo-export/pipelines`, { method: 'POST', json: {} });
    expect(created.status).toBe(201);
    const run = await http<RunView>(`${base}/api/pipelines/${created.body.id}/runs?wait=true&timeout=90`, {
      method: 'POST',
      json: { inputs: { restored: restoredAssetId } },
    });
    expect(run.status, run.text).toBe(200);
    expect(run.body.status).toBe('succeeded');
    const url = run.body.outputs?.upscaled_url as string;
    expect(url.startsWith(sim.url)).toBe(true);
    const meta = await sharp(Buffer.from(await (await fetch(url)).arrayBuffer())).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual({ width: 800, height: 600 });
  });

  test('SSE resumes after Last-Event-ID and says 204 when nothing is left', async () => {
    const { body } = await http(`${base}/api/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo: photoAssetId } } });
    const all = await readEvents(`${base}/api/runs/${body.runId}/events`, { timeoutMs: 90_000 });
    expect(all.events.at(-1)?.type).toBe('run.finished');
    const cut = all.events[2]!.id;
    const resumed = await readEvents(`${base}/api/runs/${body.runId}/events`, { headers: { 'last-event-id': String(cut) } });
    expect(resumed.events.map((e: RunEvent) => e.id)).toEqual(all.events.filter((e) => e.id > cut).map((e) => e.id));
    const last = all.events.at(-1)!.id;
    const done = await readEvents(`${base}/api/runs/${body.runId}/events`, { headers: { 'last-event-id': String(last) } });
    expect(done.status).toBe(204);
  });

  test('run history for the pipeline, newest first, paginated', async () => {
    const first = await http<{ runs: RunView[]; nextCursor?: string }>(`${base}/api/runs?pipelineId=${pipelineId}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.runs).toHaveLength(2);
    expect(first.body.runs.every((r) => r.pipelineId === pipelineId)).toBe(true);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await http<{ runs: RunView[] }>(`${base}/api/runs?pipelineId=${pipelineId}&limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`);
    expect(second.status, second.text).toBe(200);
    expect(second.body.runs.length).toBeGreaterThanOrEqual(1);
    const seen = new Set(first.body.runs.map((r) => r.id));
    expect(second.body.runs.some((r) => seen.has(r.id))).toBe(false);
  });

  test('a slow run can be cancelled; ?wait answers 202 with the run as it stands at the timeout', async () => {
    sim.configure({ latencyMs: 20_000 });
    try {
      const waited = await http(`${base}/api/pipelines/${pipelineId}/runs?wait=true&timeout=1`, {
        method: 'POST',
        // Not from the result cache: this run must be slow.
        json: { inputs: { photo: photoAssetId }, cache: 'off' },
      });
      expect(waited.status).toBe(202);
      expect(waited.body.runId).toEqual(expect.any(String));
      expect(['queued', 'running']).toContain(waited.body.status);

      // While it is slow: the event stream sends heartbeat comments, and a client that
      // goes away is cleaned up after.
      const live = await readEvents(`${base}/api/runs/${waited.body.runId}/events`, { timeoutMs: 1_500 });
      expect(live.status).toBe(200);
      expect(live.comments.some((c) => c.startsWith(': heartbeat'))).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(
        server.logs.some((l) => l.includes(waited.body.runId) && l.includes('client disconnected')),
        'stream closed on disconnect',
      ).toBe(true);
      const cancelled = await http<RunView>(`${base}/api/runs/${waited.body.runId}/cancel`, { method: 'POST' });
      expect(cancelled.status).toBe(200);
      const final = await waitForRun(base, waited.body.runId, 30_000);
      expect(final.status).toBe('cancelled');
    } finally {
      sim.configure({ latencyMs: 300 });
    }
  });

  test('pipelines: save new immutable versions, read old ones, export/import, delete', async () => {
    const v1 = await http(`${base}/api/pipelines/${pipelineId}?version=1`);
    const doc = v1.body.document;
    doc.nodes.find((n: { id: string }) => n.id === 'upscale').params.scale_factor = 2;
    const saved = await http(`${base}/api/pipelines/${pipelineId}`, { method: 'PUT', json: { document: doc, name: 'Grandma ×2' } });
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(2);
    const latest = await http(`${base}/api/pipelines/${pipelineId}`);
    expect(latest.body).toMatchObject({ name: 'Grandma ×2', version: 2, latestVersion: 2 });
    expect(latest.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const old = await http(`${base}/api/pipelines/${pipelineId}?version=1`);
    expect(old.body.document.nodes.find((n: { id: string }) => n.id === 'upscale').params.scale_factor).toBe(4);

    const exported = await fetch(`${base}/api/pipelines/${pipelineId}/export`);
    expect(exported.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.json"$/);
    const exportedDoc = await exported.json();
    const imported = await http(`${base}/api/pipelines/import`, { method: 'POST', json: { name: 'Imported copy', document: exportedDoc } });
    expect(imported.status).toBe(201);
    const copy = await http(`${base}/api/pipelines/${imported.body.id}`);
    expect(copy.body.document.nodes.find((n: { id: string }) => n.id === 'upscale').params.scale_factor).toBe(2);

    const validated = await http(`${base}/api/pipelines/validate`, { method: 'POST', json: { document: exportedDoc } });
    expect(validated.body).toMatchObject({ ok: true, problems: [] });
    expect(validated.body.inputs.map((i: { name: string }) => i.name)).toEqual(['photo']);

    // A work-in-progress draft saves with its problems listed, but cannot run.
    const draft = await http(`${base}/api/pipelines?draft=true`, { method: 'POST', json: { name: 'Blank', document: { nodes: [], edges: [] } } });
    expect(draft.status).toBe(201);
    expect(draft.body.problems.map((p: { code: string }) => p.code)).toEqual(['no_output']);
    const draftRun = await http(`${base}/api/pipelines/${draft.body.id}/runs`, { method: 'POST', json: { inputs: {} } });
    expect(draftRun.status).toBe(400);
    expect(draftRun.body.error.message).toMatch(/cannot run.*no Output node/);
    const malformed = await http(`${base}/api/pipelines?draft=true`, { method: 'POST', json: { name: 'Broken', document: { nodes: [{ id: 'x' }], edges: [] } } });
    expect(malformed.status).toBe(400);

    const list = await http(`${base}/api/pipelines`);
    expect(list.body.pipelines.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([pipelineId, imported.body.id]));
    expect((await http(`${base}/api/pipelines/${imported.body.id}`, { method: 'DELETE' })).status).toBe(204);
    const after = await http(`${base}/api/pipelines`);
    expect(after.body.pipelines.map((p: { id: string }) => p.id)).not.toContain(imported.body.id);
  });

  test('the editor is served, with the SPA fallback for its own routes only', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('Pikflow editor');
    const deepLink = await fetch(`${base}/pipelines/123/runs`);
    expect(deepLink.status).toBe(200);
    expect(deepLink.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await deepLink.text()).toContain('Pikflow editor');
    const script = await fetch(`${base}/assets/app-abc123.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toContain('immutable');
    const apiMiss = await http(`${base}/api/not-a-route`);
    expect(apiMiss.status).toBe(404);
    expect(apiMiss.body.error.code).toBe('not_found');
  });

  test('catalog, templates and the OpenAPI document', async () => {
    const catalog = await http(`${base}/api/catalog`);
    const precision = catalog.body.find((n: { id: string }) => n.id === 'freepik.upscaler-precision-v2');
    expect(precision.paramsSchema.properties.sharpen).toBeDefined();
    const templates = await http(`${base}/api/templates`);
    expect(templates.body.templates.map((t: { name: string }) => t.name)).toContain('Photo restoration');
    const openapi = await http(`${base}/docs/json`);
    expect(openapi.status).toBe(200);
    for (const path of ['/api/pipelines/{id}/runs', '/api/runs/{id}/events', '/api/assets', '/api/webhooks/freepik']) {
      expect(openapi.body.paths[path], path).toBeDefined();
    }
    expect(openapi.body.paths['/api/pipelines/{id}/runs'].post.requestBody).toBeDefined();
    const ui = await fetch(`${base}/docs`);
    expect(ui.status).toBe(200);
  });
});
