/**
 * One pipeline per catalog category, end to end through the engine (Engine
 * interface, packages/engine/src/types.ts) against the bundled simulator over
 * loopback HTTP, with a fresh Postgres database. A tiny harness plays the server's
 * two public routes the engine relies on: GET /api/assets/:id (URL hand-off for
 * URL-only ports such as Remove background, Kling Elements, LoRA training) and
 * POST /api/webhooks/freepik (webhook-only icons).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@pikflow/db';
import type { Engine, EngineConfig } from '@pikflow/engine';
import type { AssetRef, PipelineDocument, RunView } from '@pikflow/pipeline';
import { type RunningSimulator, startSimulator } from '@pikflow/freepik-sim';
import { pipeline } from './support/pipeline-document.ts';
import { freshDatabase, tempDir, type FreshDatabase } from './support/test-db.ts';

const WEBHOOK_SECRET = 'catalog-pipelines-secret';
const RUN_TIMEOUT_MS = 45_000;

let sim: RunningSimulator;
let harness: Server;
let database: FreshDatabase;
let handle: DbHandle;
let engine: Engine;

async function run(document: PipelineDocument, inputs: Record<string, unknown> = {}): Promise<RunView> {
  const { runId } = await engine.startRun({ document, inputs });
  const view = await engine.waitForRun(runId, RUN_TIMEOUT_MS);
  const failed = view.nodes.filter((n) => n.status === 'failed').map((n) => `${n.nodeId}: ${n.error?.code} ${n.error?.message}`);
  expect(view.status, `run ${runId} ${JSON.stringify(view.error)} ${failed.join('; ')}`).toBe('succeeded');
  return view;
}

async function bytesOf(value: unknown): Promise<{ asset: AssetRef; bytes: Buffer }> {
  const asset = value as AssetRef;
  expect(asset?.assetId, `an asset, got ${JSON.stringify(value)}`).toBeTruthy();
  const { bytes } = await engine.assets.read(asset.assetId);
  return { asset, bytes };
}

async function imageOf(value: unknown) {
  const { asset, bytes } = await bytesOf(value);
  return { asset, meta: await sharp(bytes).metadata(), bytes };
}

async function upload(width: number, height: number): Promise<string> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#eeeae4"/><circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 3}" fill="#b5482a"/></svg>`;
  const asset = await engine.assets.putUpload(await sharp(Buffer.from(svg)).png().toBuffer(), 'photo.png');
  return asset.assetId;
}

beforeAll(async () => {
  const engineModule = (await import('@pikflow/engine')) as unknown as {
    createEngine?: (input: Record<string, unknown>) => Engine | Promise<Engine>;
  };
  if (!engineModule.createEngine) throw new Error('@pikflow/engine does not export createEngine yet: these pipelines need the engine');

  sim = await startSimulator({ latencyMs: 150, rateLimits: false, webhookSecret: WEBHOOK_SECRET, webhookRetryBaseMs: 50 });
  database = await freshDatabase('postgres');
  handle = await createDb(database.options);

  // The server's two public routes, as Freepik (here the simulator) reaches them.
  harness = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const asset = /^\/api\/assets\/([^/?]+)/.exec(req.url ?? '');
        if (req.method === 'GET' && asset) {
          const { asset: stored, bytes } = await engine.assets.read(asset[1]!);
          return res.writeHead(200, { 'content-type': stored.mime }).end(bytes);
        }
        const url = new URL(req.url ?? '/', 'http://harness');
        if (req.method === 'POST' && url.pathname === '/api/webhooks/freepik') {
          // The webhook URL names the node run and attempt in its query (an orphaned task is adopted by its owner).
          await engine.acceptWebhook({ headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8'), query: Object.fromEntries(url.searchParams) });
          return res.writeHead(204).end();
        }
        res.writeHead(404).end();
      } catch (e) {
        res.writeHead((e as { httpStatus?: number }).httpStatus ?? 500).end(String(e));
      }
    });
  });
  await new Promise<void>((resolve) => harness.listen(0, '127.0.0.1', resolve));
  const publicUrl = `http://127.0.0.1:${(harness.address() as AddressInfo).port}`;

  const config: EngineConfig = {
    mode: 'simulator',
    freepik: { baseUrl: sim.url, apiKey: 'pipelines-key' },
    fileServiceUrl: sim.url,
    publicUrl,
    webhookSecret: WEBHOOK_SECRET,
    assetsDir: tempDir('pikflow-pipelines-assets-'),
    poll: { initialDelayMs: 100, factor: 1.5, maxDelayMs: 400 },
    nodeTimeoutMs: 40_000,
    maxDownloadBytes: 50 * 1024 * 1024,
    runWorkers: true,
  };
  const logger = pino({ level: process.env.PIPELINES_DEBUG ? 'debug' : 'silent' });
  engine = await engineModule.createEngine({ config, db: handle, database: handle, logger, workers: { pollingIntervalSeconds: 0.5 } });
  await engine.start();
});

afterAll(async () => {
  await engine?.stop();
  await handle?.close();
  await database?.drop();
  await sim?.close();
  await new Promise((resolve) => harness?.close(resolve));
});

describe('one pipeline per catalog category, through the engine on the simulator', () => {
  it('image-generation → image-edit: prompt → Mystic → Relight → Remove background → Output', async () => {
    const view = await run(
      pipeline(
        [
          ['prompt', 'input.text', { name: 'prompt' }],
          ['mystic', 'freepik.mystic', { resolution: '1k', aspect_ratio: 'classic_4_3' }],
          ['relight', 'freepik.relight', { prompt: 'golden hour', style: 'brighter' }],
          ['cut', 'freepik.remove-background'],
          ['out', 'output', { name: 'cutout' }],
        ],
        ['prompt.text -> mystic.prompt', 'mystic.image -> relight.image', 'relight.image -> cut.image_url', 'cut.image -> out.value'],
      ),
      { prompt: 'a ceramic vase on a wooden table' },
    );
    const { meta } = await imageOf(view.outputs?.cutout);
    expect(meta).toMatchObject({ format: 'png', hasAlpha: true, width: 1024, height: 768 });
  });

  it('image-generation with base64 results: Imagen3 (2 images) → Output list', async () => {
    const view = await run(
      pipeline(
        [
          ['imagen', 'freepik.imagen3', { prompt: 'a red fox in snow', num_images: 2, aspect_ratio: 'widescreen_16_9' }],
          ['out', 'output', { name: 'foxes' }],
        ],
        ['imagen.images -> out.value'],
      ),
    );
    const foxes = view.outputs?.foxes as unknown[];
    expect(foxes).toHaveLength(2);
    for (const fox of foxes) expect((await imageOf(fox)).meta).toMatchObject({ format: 'png', width: 1024, height: 576 });
  });

  it('stock → image-edit: search term → first preview → Style transfer, and its id → Download', async () => {
    const style = await upload(400, 400);
    const view = await run(
      pipeline(
        [
          ['term', 'input.text', { name: 'term' }],
          ['style', 'input.image', { name: 'style' }],
          ['search', 'freepik.stock-resources-search', { limit: 3, filters: { content_type: { photo: 1 } } }],
          ['transfer', 'freepik.style-transfer', { style_strength: 80 }],
          ['download', 'freepik.stock-resource-download', { image_size: 'small' }],
          ['styled', 'output', { name: 'styled' }],
          ['photo', 'output', { name: 'photo' }],
          ['results', 'output', { name: 'results' }],
        ],
        [
          'term.text -> search.term',
          'search.image -> transfer.image',
          'style.image -> transfer.reference_image',
          'search.resource_id -> download.resource-id',
          'transfer.image -> styled.value',
          'download.image -> photo.value',
          'search.results -> results.value',
        ],
      ),
      { term: 'mountain lake', style },
    );
    const styled = await imageOf(view.outputs?.styled);
    const preview = (view.outputs?.results as any).data[0].image.source.url as string;
    expect(preview).toMatch(/^http/);
    expect(styled.meta.width).toBe(626);
    const photo = await imageOf(view.outputs?.photo);
    expect(photo.meta.format).toBe('jpeg');
    expect(Math.max(photo.meta.width!, photo.meta.height!)).toBe(1000);
  });

  it('video: Image → Kling 2.1 std → Output video', async () => {
    const photo = await upload(640, 400);
    const view = await run(
      pipeline(
        [
          ['photo', 'input.image', { name: 'photo' }],
          ['kling', 'freepik.kling-v2-1-std', { duration: '5', prompt: 'slow pan to the right' }],
          ['out', 'output', { name: 'clip' }],
        ],
        ['photo.image -> kling.image', 'kling.video -> out.value'],
      ),
      { photo },
    );
    const { asset, bytes } = await bytesOf(view.outputs?.clip);
    expect(asset.mime).toBe('video/mp4');
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('upscale: Image → Magnific creative 2x → Precision V1 → Output', async () => {
    const photo = await upload(320, 200);
    const view = await run(
      pipeline(
        [
          ['photo', 'input.image', { name: 'photo' }],
          ['creative', 'freepik.upscaler-creative', { scale_factor: '2x', optimized_for: 'films_n_photography' }],
          ['precision', 'freepik.upscaler-precision-v1'],
          ['out', 'output', { name: 'big' }],
        ],
        ['photo.image -> creative.image', 'creative.image -> precision.image', 'precision.image -> out.value'],
      ),
      { photo },
    );
    expect((await imageOf(view.outputs?.big)).meta).toMatchObject({ width: 1280, height: 800 });
  });

  it('icons: prompt → text-to-icon preview (webhook only) → Render icon as SVG', async () => {
    const view = await run(
      pipeline(
        [
          ['prompt', 'input.text', { name: 'icon' }],
          ['preview', 'freepik.text-to-icon-preview', { style: 'color' }],
          ['render', 'freepik.text-to-icon-render', { format: 'svg' }],
          ['svg', 'output', { name: 'svg' }],
          ['png', 'output', { name: 'preview' }],
        ],
        ['prompt.text -> preview.prompt', 'preview.task_id -> render.task-id', 'render.image -> svg.value', 'preview.image -> png.value'],
      ),
      { icon: 'paper plane' },
    );
    expect((await imageOf(view.outputs?.svg)).meta.format).toBe('svg');
    expect((await imageOf(view.outputs?.preview)).meta.format).toBe('png');
  });

  it('lora: stock previews (URLs) → Train LoRA character, and List LoRAs', async () => {
    const view = await run(
      pipeline(
        [
          ['search', 'freepik.stock-resources-search', { term: 'portrait', limit: 8 }],
          ['train', 'freepik.lora-train-character', { name: 'sam', quality: 'high', gender: 'neutral' }],
          ['list', 'freepik.loras-list'],
          ['task', 'output', { name: 'training' }],
          ['status', 'output', { name: 'training_status' }],
          ['names', 'output', { name: 'loras' }],
        ],
        ['search.images -> train.images', 'train.task_id -> task.value', 'train.status -> status.value', 'list.names -> names.value'],
      ),
    );
    expect(view.outputs?.training).toMatch(/^[0-9a-f-]{36}$/);
    // Freepik's own answer to the training request, not the engine's "done" (issue 15, item 4).
    expect(view.outputs?.training_status).toBe('IN_PROGRESS');
    expect(String(view.outputs?.loras)).toContain('vintage-japanese');
  });

  it('analysis: Image → AI classifier → probability and classes', async () => {
    const photo = await upload(300, 300);
    const view = await run(
      pipeline(
        [
          ['photo', 'input.image', { name: 'photo' }],
          ['classify', 'freepik.ai-classifier'],
          ['p', 'output', { name: 'ai_probability' }],
          ['c', 'output', { name: 'classes' }],
        ],
        ['photo.image -> classify.image', 'classify.ai_probability -> p.value', 'classify.classification -> c.value'],
      ),
      { photo },
    );
    expect(view.outputs?.ai_probability).toBeGreaterThanOrEqual(0);
    expect(view.outputs?.ai_probability).toBeLessThanOrEqual(1);
    expect(view.outputs?.classes).toEqual([
      { class_name: 'not_ai', probability: expect.any(Number) },
      { class_name: 'ai', probability: view.outputs?.ai_probability },
    ]);
  });

  it('storage: Image → Upload to file service → stored URL', async () => {
    const photo = await upload(300, 200);
    const view = await run(
      pipeline(
        [
          ['photo', 'input.image', { name: 'photo' }],
          ['store', 'storage.file-upload'],
          ['out', 'output', { name: 'stored' }],
        ],
        ['photo.image -> store.image', 'store.url -> out.value'],
      ),
      { photo },
    );
    const stored = String(view.outputs?.stored);
    expect(stored).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/file\/uploads\//);
    expect((await sharp(Buffer.from(await (await fetch(stored)).arrayBuffer())).metadata()).width).toBe(300);
  });
});
