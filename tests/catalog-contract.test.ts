/**
 * One contract over the whole catalog registry, against the bundled simulator over
 * real HTTP (loopback only). For every node: its defaults parse once the documented
 * required fields are filled, its request builder produces the documented request
 * for a representative input, and the simulator's real answer — taken from the sync
 * response, the node's own statusPath, or the webhook for webhook-only nodes —
 * read by `readTask` and the node's extractor yields every declared output port
 * with a value of that port's type (files are downloaded and decoded).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BinaryFile,
  type HttpExecution,
  type HttpRequest,
  type NodeDefinition,
  type NodeOutputs,
  type TaskSnapshot,
  getNode,
  listNodes,
  readTask,
  serializeNode,
} from '@pikflow/catalog';
import { type RunningSimulator, startSimulator } from '@pikflow/freepik-sim';
import { klingV2 } from '../packages/freepik-sim/src/endpoints/kling-v2.ts';
import { removeBackground } from '../packages/freepik-sim/src/endpoints/remove-background.ts';

const API_KEY = 'contract-key';

/** Test images: a subject on a plain background (remove-background cuts it out) and a style/light reference. */
interface Fixtures {
  photoB64: string;
  photoUrl: string;
  refB64: string;
  refUrl: string;
  hooksUrl: string;
}

let sim: RunningSimulator;
let fixtureServer: Server;
let fx: Fixtures;
const webhooks: Record<string, unknown>[] = [];

interface Case {
  /** Documented required fields without defaults: `{}` must fail on exactly these, the fill must pass. */
  required?: Record<string, unknown>;
  /** What a designer typed into the node's form. */
  params?: Record<string, unknown>;
  /** What arrives on its input ports (lazy: fixtures exist only after beforeAll). */
  inputs?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** The request Freepik documents for that input. */
  expected: (params: Record<string, unknown>, inputs: Record<string, unknown>, idempotencyKey: string) => HttpRequest;
  /** Output ports that may stay empty for this input. */
  optionalOutputs?: string[];
  /** Endpoint-specific checks of the extracted outputs. */
  check?: (outputs: NodeOutputs, task: TaskSnapshot) => Promise<void> | void;
}

const post = (path: string, body: Record<string, unknown>): HttpRequest => ({ method: 'POST', path, body });

async function picture(file: unknown) {
  return sharp(await bytesOf(file)).metadata();
}

const CASES: Record<string, Case> = {
  'freepik.gemini-2-5-flash': {
    required: { prompt: 'make it sepia' },
    params: { prompt: 'make it sepia' },
    inputs: () => ({ reference_images: [fx.photoB64] }),
    expected: () => post('/v1/ai/gemini-2-5-flash-image-preview', { prompt: 'make it sepia', reference_images: [fx.photoB64] }),
  },
  'freepik.upscaler-precision-v2': {
    required: { scale_factor: 4 },
    params: { scale_factor: 2 },
    inputs: () => ({ image: fx.photoB64 }),
    expected: () =>
      post('/v1/ai/image-upscaler-precision-v2', { image: fx.photoB64, sharpen: 7, smart_grain: 7, ultra_detail: 30, scale_factor: 2 }),
    check: async ({ image }) => expect(await picture(image)).toMatchObject({ width: 1280, height: 800 }),
  },
  'storage.file-upload': {
    inputs: async () => ({ image: { kind: 'file', filename: 'photo.png', contentType: 'image/png', data: await bytesOf(fx.photoUrl) } }),
    expected: (_p, inputs, key) => ({ method: 'POST', path: '/api/v1/file/uploads', encoding: 'multipart', body: { id: key, image: inputs.image } }),
  },
  'freepik.mystic': {
    params: {
      prompt: 'a lighthouse at dawn',
      resolution: '1k',
      aspect_ratio: 'widescreen_16_9',
      styling: { colors: [{ color: '#FF8800', weight: 0.5 }] },
    },
    inputs: () => ({ style_reference: fx.refB64 }),
    expected: () =>
      post('/v1/ai/mystic', {
        prompt: 'a lighthouse at dawn',
        structure_strength: 50,
        adherence: 50,
        hdr: 50,
        resolution: '1k',
        aspect_ratio: 'widescreen_16_9',
        model: 'realism',
        creative_detailing: 33,
        engine: 'automatic',
        fixed_generation: false,
        filter_nsfw: true,
        styling: { colors: [{ color: '#FF8800', weight: 0.5 }] },
        style_reference: fx.refB64,
      }),
    check: async ({ image }, task) => {
      expect(await picture(image)).toMatchObject({ width: 1024, height: 576 });
      expect((task.raw as any).data.has_nsfw).toEqual([false]);
    },
  },
  'freepik.imagen3': {
    required: { prompt: 'a red fox' },
    params: { prompt: 'a red fox', num_images: 2 },
    expected: () =>
      post('/v1/ai/text-to-image/imagen3', {
        prompt: 'a red fox',
        num_images: 2,
        aspect_ratio: 'square_1_1',
        person_generation: 'allow_all',
        safety_settings: 'block_none',
      }),
    check: ({ image, images }) => {
      expect(images).toHaveLength(2);
      // The documented GET holds bare base64 (S4:1391-1400); readTask makes data URIs of it.
      expect(image).toMatch(/^data:image\/png;base64,iVBOR/);
    },
  },
  'freepik.flux-dev': {
    params: { prompt: 'a log cabin', seed: 42 },
    expected: () => post('/v1/ai/text-to-image/flux-dev', { prompt: 'a log cabin', aspect_ratio: 'square_1_1', seed: 42 }),
  },
  'freepik.reimagine-flux': {
    params: { imagination: 'vivid' },
    inputs: () => ({ image: fx.photoB64 }),
    expected: () => post('/v1/ai/beta/text-to-image/reimagine-flux', { image: fx.photoB64, imagination: 'vivid', aspect_ratio: 'original' }),
    check: async ({ image }) => expect(await picture(image)).toMatchObject({ width: 640, height: 400 }),
  },
  'freepik.upscaler-creative': {
    params: { prompt: 'crisp details' },
    inputs: () => ({ image: fx.photoB64 }),
    expected: () =>
      post('/v1/ai/image-upscaler', {
        image: fx.photoB64,
        scale_factor: '2x',
        optimized_for: 'standard',
        prompt: 'crisp details',
        creativity: 0,
        hdr: 0,
        resemblance: 0,
        fractality: 0,
        engine: 'automatic',
      }),
    check: async ({ image }) => expect(await picture(image)).toMatchObject({ width: 1280, height: 800 }),
  },
  'freepik.upscaler-precision-v1': {
    inputs: () => ({ image: fx.photoB64 }),
    expected: () => post('/v1/ai/image-upscaler-precision', { image: fx.photoB64, sharpen: 50, smart_grain: 7, ultra_detail: 30 }),
    check: async ({ image }) => expect(await picture(image)).toMatchObject({ width: 1280, height: 800 }),
  },
  'freepik.relight': {
    params: { prompt: 'warm sunset light', style: 'brighter' },
    inputs: () => ({ image: fx.photoUrl, transfer_light_from_reference_image: fx.refUrl }),
    expected: () =>
      post('/v1/ai/image-relight', {
        image: fx.photoUrl,
        prompt: 'warm sunset light',
        transfer_light_from_reference_image: fx.refUrl,
        light_transfer_strength: 100,
        interpolate_from_original: false,
        change_background: true,
        style: 'brighter',
        preserve_details: true,
      }),
    check: async ({ image }) => {
      const before = await sharp(await bytesOf(fx.photoUrl)).stats();
      const after = await sharp(await bytesOf(image)).stats();
      // The light of the (dark blue) reference moves the picture's colour.
      const shift = [0, 1, 2].reduce((sum, c) => sum + Math.abs(after.channels[c]!.mean - before.channels[c]!.mean), 0);
      expect(shift).toBeGreaterThan(15);
    },
  },
  'freepik.style-transfer': {
    inputs: () => ({ image: fx.photoB64, reference_image: fx.refUrl }),
    expected: () =>
      post('/v1/ai/image-style-transfer', {
        image: fx.photoB64,
        reference_image: fx.refUrl,
        style_strength: 100,
        structure_strength: 50,
        is_portrait: false,
        portrait_style: 'standard',
        flavor: 'faithful',
        engine: 'balanced',
        fixed_generation: false,
      }),
    check: async ({ image }) => expect(await picture(image)).toMatchObject({ width: 640, height: 400 }),
  },
  'freepik.image-expand-flux-pro': {
    params: { left: 64, right: 64, top: 0, bottom: 32 },
    inputs: () => ({ image: fx.photoB64 }),
    expected: () => post('/v1/ai/image-expand/flux-pro', { image: fx.photoB64, left: 64, right: 64, top: 0, bottom: 32 }),
    check: async ({ image }) => expect(await picture(image)).toMatchObject({ width: 768, height: 432 }),
  },
  'freepik.remove-background': {
    inputs: () => ({ image_url: fx.photoUrl }),
    expected: () => ({ method: 'POST', path: '/v1/ai/beta/remove-background', encoding: 'form', body: { image_url: fx.photoUrl } }),
    check: async ({ image, preview }) => {
      const meta = await picture(image);
      expect(meta).toMatchObject({ format: 'png', hasAlpha: true, width: 640, height: 400 });
      // The plain background is transparent, the subject opaque.
      const { data } = await sharp(await bytesOf(image)).raw().toBuffer({ resolveWithObject: true });
      expect(data[3]).toBe(0);
      expect(data[(200 * 640 + 320) * 4 + 3]).toBe(255);
      const small = await picture(preview);
      expect(small.width! * small.height!).toBeLessThanOrEqual(250_000);
    },
  },
  ...Object.fromEntries(
    ['master', 'pro', 'std'].map((v) => [
      `freepik.kling-v2-1-${v}`,
      {
        required: { duration: '5' },
        params: { duration: '5', prompt: 'slow zoom in' },
        inputs: () => ({ image: fx.photoUrl }),
        expected: () =>
          post(`/v1/ai/image-to-video/kling-v2-1-${v}`, { image: fx.photoUrl, duration: '5', prompt: 'slow zoom in', cfg_scale: 0.5 }),
      } satisfies Case,
    ]),
  ),
  'freepik.kling-v2': {
    required: { duration: '5' },
    params: { duration: '10' },
    inputs: () => ({ image: fx.photoB64 }),
    expected: () => post('/v1/ai/image-to-video/kling-v2', { image: fx.photoB64, duration: '10', cfg_scale: 0.5 }),
  },
  ...Object.fromEntries(
    ['pro', 'std'].map((v) => [
      `freepik.kling-elements-${v}`,
      {
        params: { duration: '5', prompt: 'the two meet' },
        inputs: () => ({ images: [fx.photoUrl, fx.refUrl] }),
        expected: () =>
          post(`/v1/ai/image-to-video/kling-elements-${v}`, {
            images: [fx.photoUrl, fx.refUrl],
            duration: '5',
            prompt: 'the two meet',
            aspect_ratio: 'widescreen_16_9',
          }),
      } satisfies Case,
    ]),
  ),
  'freepik.text-to-icon': {
    required: { prompt: 'paper plane' },
    params: { prompt: 'paper plane', format: 'svg' },
    expected: () => post('/v1/ai/text-to-icon', { prompt: 'paper plane', format: 'svg', style: 'solid', webhook_url: fx.hooksUrl }),
    check: async ({ image }) => expect((await picture(image)).format).toBe('svg'),
  },
  'freepik.text-to-icon-preview': {
    required: { prompt: 'coffee cup' },
    params: { prompt: 'coffee cup' },
    expected: () => post('/v1/ai/text-to-icon/preview', { prompt: 'coffee cup', style: 'solid', webhook_url: fx.hooksUrl }),
    check: async ({ image }) => expect((await picture(image)).format).toBe('png'),
  },
  'freepik.text-to-icon-render': {
    required: { 'task-id': 'x' },
    params: { format: 'svg' },
    // The task id arrives on the input port from a preview run.
    inputs: async () => ({ 'task-id': (await runNode('freepik.text-to-icon-preview', { prompt: 'coffee cup' })).outputs.task_id }),
    expected: (_p, inputs) => ({ method: 'POST', path: `/v1/ai/text-to-icon/${inputs['task-id']}/render/svg` }),
    check: async ({ image }) => expect((await picture(image)).format).toBe('svg'),
  },
  'freepik.loras-list': {
    expected: () => ({ method: 'GET', path: '/v1/ai/loras' }),
    check: ({ names }) => expect(String(names).split('\n')).toEqual(expect.arrayContaining(['vintage-japanese', 'sara'])),
  },
  'freepik.lora-train-style': {
    required: { name: 's', quality: 'high' },
    params: { name: 'my-style', quality: 'high' },
    inputs: () => ({ images: Array(6).fill(fx.refUrl) }),
    expected: () => post('/v1/ai/loras/styles', { name: 'my-style', quality: 'high', images: Array(6).fill(fx.refUrl) }),
    check: ({ status }) => expect(status).toBe('IN_PROGRESS'),
  },
  'freepik.lora-train-character': {
    required: { name: 'c', quality: 'high', gender: 'female' },
    params: { name: 'sara-2', quality: 'ultra', gender: 'female' },
    inputs: () => ({ images: Array(8).fill(fx.refUrl) }),
    expected: () =>
      post('/v1/ai/loras/characters', { name: 'sara-2', quality: 'ultra', gender: 'female', images: Array(8).fill(fx.refUrl) }),
  },
  'freepik.ai-classifier': {
    inputs: () => ({ image: fx.photoB64 }),
    expected: () => post('/v1/ai/classifier/image', { image: fx.photoB64 }),
    check: ({ ai_probability, classification }) => {
      expect(ai_probability).toBeGreaterThanOrEqual(0);
      expect(ai_probability).toBeLessThanOrEqual(1);
      expect(classification).toEqual([
        { class_name: 'not_ai', probability: expect.any(Number) },
        { class_name: 'ai', probability: ai_probability },
      ]);
    },
  },
  'freepik.stock-resources-search': {
    params: { term: 'mountain lake', limit: 5, filters: { content_type: { photo: 1 }, orientation: { landscape: 1 } } },
    expected: () => ({
      method: 'GET',
      path: '/v1/resources',
      query: {
        term: 'mountain lake',
        limit: 5,
        order: 'relevance',
        'filters[content_type][photo]': 1,
        'filters[orientation][landscape]': 1,
      },
    }),
    check: ({ images, resource_id, results }) => {
      expect(images).toHaveLength(5);
      expect(resource_id).toMatch(/^\d+$/);
      expect((results as any).data.every((r: any) => r.image.type === 'photo' && r.image.orientation === 'landscape')).toBe(true);
    },
  },
  'freepik.stock-resource-download': {
    required: { 'resource-id': 1 },
    params: { image_size: 'small' },
    inputs: async () => ({ 'resource-id': await photoResourceId() }),
    expected: (_p, inputs) => ({ method: 'GET', path: `/v1/resources/${inputs['resource-id']}/download`, query: { image_size: 'small' } }),
    check: async ({ image, filename }) => {
      expect(filename).toMatch(/\.jpg$/);
      expect(Math.max((await picture(image)).width!, (await picture(image)).height!)).toBe(1000);
    },
  },
  'freepik.stock-resource-download-format': {
    required: { 'resource-id': 1, 'resource-format': 'jpg' },
    params: { 'resource-format': 'jpg' },
    inputs: async () => ({ 'resource-id': await photoResourceId() }),
    expected: (_p, inputs) => ({ method: 'GET', path: `/v1/resources/${inputs['resource-id']}/download/jpg` }),
  },
  'freepik.stock-icons-search': {
    params: { term: 'rocket', per_page: 4, filters: { shape: 'outline' } },
    expected: () => ({
      method: 'GET',
      path: '/v1/icons',
      query: { term: 'rocket', per_page: 4, order: 'relevance', 'filters[shape]': 'outline' },
    }),
    check: ({ images, icon_id }) => {
      expect(images).toHaveLength(4);
      expect(icon_id).toMatch(/^\d+$/);
    },
  },
  'freepik.stock-icon-detail': {
    required: { id: 1 },
    inputs: async () => ({ id: await iconId() }),
    expected: (_p, inputs) => ({ method: 'GET', path: `/v1/icons/${inputs.id}` }),
  },
  'freepik.stock-icon-download': {
    required: { id: 1 },
    params: { format: 'svg' },
    inputs: async () => ({ id: await iconId() }),
    expected: (_p, inputs) => ({ method: 'GET', path: `/v1/icons/${inputs.id}/download`, query: { format: 'svg', png_size: 512 } }),
    check: async ({ image }) => expect((await picture(image)).format).toBe('svg'),
  },
};

/** Bytes of a data URI, bare base64, http(s) URL or BinaryFile. */
async function bytesOf(file: unknown): Promise<Buffer> {
  if (typeof file === 'object' && file && (file as BinaryFile).kind === 'file') return Buffer.from((file as BinaryFile).data);
  expect(typeof file).toBe('string');
  const s = file as string;
  const dataUri = /^data:[^;,]+;base64,(.*)$/s.exec(s);
  if (dataUri) return Buffer.from(dataUri[1]!, 'base64');
  if (!/^https?:\/\//.test(s)) return Buffer.from(s, 'base64');
  const response = await fetch(s);
  expect(response.status, `GET ${s}`).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

function toUrl(request: HttpRequest): string {
  const url = new URL(request.path, sim.url);
  for (const [k, v] of Object.entries(request.query ?? {})) {
    if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, String(item));
    else if (v !== undefined) url.searchParams.set(k, String(v));
  }
  return url.toString();
}

/** Sends a node's request the way an HTTP client following `encoding` would. */
async function send(request: HttpRequest): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...request.headers, 'x-freepik-api-key': API_KEY };
  let body: string | URLSearchParams | FormData | undefined;
  if (request.body && request.encoding === 'form') {
    body = new URLSearchParams(Object.entries(request.body).map(([k, v]): [string, string] => [k, String(v)]));
  } else if (request.body && request.encoding === 'multipart') {
    const form = new FormData();
    for (const [k, v] of Object.entries(request.body)) {
      const file = v as BinaryFile;
      if (file && typeof file === 'object' && file.kind === 'file') form.append(k, new Blob([file.data], { type: file.contentType }), file.filename);
      else form.append(k, String(v));
    }
    body = form;
  } else if (request.body) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.body);
  }
  const response = await fetch(toUrl(request), { method: request.method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Linked text/number inputs named like a param are merged over it, as the engine does. */
function paramsWith(def: NodeDefinition, params: Record<string, unknown>, inputs: Record<string, unknown>) {
  const merged = { ...params };
  for (const port of def.inputs) {
    const value = inputs[port.name];
    if ((port.type === 'text' || port.type === 'number') && value !== undefined && port.name in def.params.shape) merged[port.name] = value;
  }
  return def.params.parse(merged) as Record<string, unknown>;
}

/** Runs one node against the simulator: request → (poll | webhook | sync answer) → extract. */
async function runNode(id: string, params: Record<string, unknown> = {}, inputs: Record<string, unknown> = {}, idempotencyKey = randomUUID()) {
  const def = getNode(id)!;
  const exec = def.execution as HttpExecution<Record<string, unknown>>;
  const request = exec.request({
    params: paramsWith(def, params, inputs),
    inputs,
    webhookUrl: exec.mode === 'webhook-only' ? fx.hooksUrl : undefined,
    idempotencyKey,
  });
  const created = await send(request);
  expect(created.status, `${id}: ${JSON.stringify(created.body)}`).toBe(200);
  let task = readTask(created.body);
  if (exec.mode !== 'sync') {
    expect(task.taskId, `${id}: a task id in the create response`).toBeTruthy();
    expect(['CREATED', 'IN_PROGRESS']).toContain(task.status);
    const taskId = task.taskId!;
    await expect
      .poll(
        async () => {
          if (exec.mode === 'async') {
            const polled = await send({ method: 'GET', path: exec.statusPath!(taskId) });
            expect(polled.status, `${id}: GET ${exec.statusPath!(taskId)}`).toBe(200);
            task = readTask(polled.body);
          } else {
            const hook = webhooks.filter((w) => w.task_id === taskId).at(-1);
            if (hook) task = readTask(hook);
          }
          return task.status;
        },
        { timeout: 15_000, interval: 40 },
      )
      .toBe('COMPLETED');
  }
  return { request, task, outputs: exec.extract(task) };
}

async function photoResourceId(): Promise<string> {
  const found = await runNode('freepik.stock-resources-search', { term: 'beach', filters: { content_type: { photo: 1 } } });
  return found.outputs.resource_id as string;
}

async function iconId(): Promise<string> {
  return (await runNode('freepik.stock-icons-search', { term: 'rocket' })).outputs.icon_id as string;
}

/** Every declared output holds a value of its port type; files download and decode. */
async function expectPortValues(def: NodeDefinition, outputs: NodeOutputs, optional: string[] = []) {
  expect(Object.keys(outputs).sort()).toEqual(def.outputs.map((p) => p.name).sort());
  for (const port of def.outputs) {
    const value = outputs[port.name];
    if (value === undefined && optional.includes(port.name)) continue;
    const where = `${def.id} output ${port.name}`;
    switch (port.type) {
      case 'image':
        expect((await picture(value)).width, where).toBeGreaterThan(0);
        break;
      case 'image[]':
        expect(Array.isArray(value) && value.length > 0, where).toBe(true);
        for (const item of value as unknown[]) expect((await picture(item)).width, where).toBeGreaterThan(0);
        break;
      case 'video': {
        const bytes = await bytesOf(value);
        expect(bytes.subarray(4, 8).toString('latin1'), where).toBe('ftyp');
        break;
      }
      case 'text':
        expect(typeof value === 'string' && value.length > 0, where).toBe(true);
        break;
      case 'number':
        expect(Number.isFinite(value), where).toBe(true);
        break;
      default:
        expect(value, where).toBeDefined();
    }
  }
}

beforeAll(async () => {
  const photo = await sharp({ create: { width: 640, height: 400, channels: 3, background: '#f4f4f4' } })
    .composite([
      {
        input: Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><circle cx="320" cy="200" r="120" fill="#d03020"/><rect x="250" y="60" width="140" height="40" fill="#2050c0"/></svg>',
        ),
      },
    ])
    .png()
    .toBuffer();
  const ref = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#1a2a6c' } }).png().toBuffer();
  fixtureServer = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/images/photo.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(photo);
    if (req.method === 'GET' && req.url === '/images/ref.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(ref);
    if (req.method === 'POST' && req.url === '/hooks') {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        webhooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(204).end();
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => fixtureServer.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(fixtureServer.address() as AddressInfo).port}`;
  fx = {
    photoB64: photo.toString('base64'),
    photoUrl: `${base}/images/photo.png`,
    refB64: ref.toString('base64'),
    refUrl: `${base}/images/ref.png`,
    hooksUrl: `${base}/hooks`,
  };
  sim = await startSimulator({ latencyMs: 30, rateLimits: false, seed: 7, webhookRetryBaseMs: 20 });
});

afterAll(async () => {
  await sim?.close();
  await new Promise((resolve) => fixtureServer?.close(resolve));
});

describe('catalog contract (every registry node against the simulator)', () => {
  const httpNodes = listNodes().filter((d) => d.execution.kind === 'http');

  it('every HTTP node has a representative case, and every case a node', () => {
    expect(httpNodes.map((d) => d.id).sort()).toEqual(Object.keys(CASES).sort());
  });

  it.each(listNodes().map((d) => [d.id, d] as const))('%s: defaults parse and serialise for the editor', (_id, def) => {
    const required = CASES[def.id]?.required ?? {};
    const empty = def.params.safeParse({});
    if (Object.keys(required).length) {
      expect(empty.success).toBe(false);
      const missing = new Set(empty.error!.issues.map((i) => String(i.path[0])));
      expect([...missing].sort()).toEqual(Object.keys(required).sort());
    }
    const filled = def.params.safeParse(required);
    expect(filled.success, JSON.stringify(filled.error?.issues)).toBe(true);
    const node = serializeNode(def);
    expect(node.paramsSchema).toMatchObject({ type: 'object' });
    // Every default the editor shows is what the schema fills in.
    expect(filled.data).toMatchObject(node.defaults);
    for (const port of def.inputs) if (port.type === 'image' || port.type === 'image[]') expect(port.accepts, `${def.id}.${port.name}`).toBeDefined();
  });

  it.each(httpNodes.map((d) => [d.id, d] as const))(
    '%s: documented request, real simulator answer, every output port',
    async (_id, def) => {
      const c = CASES[def.id]!;
      const inputs = (await c.inputs?.()) ?? {};
      const key = randomUUID();
      const { request, outputs, task } = await runNode(def.id, c.params ?? {}, inputs, key);
      expect(request).toEqual(c.expected(c.params ?? {}, inputs, key));
      await expectPortValues(def, outputs, c.optionalOutputs);
      await c.check?.(outputs, task);
    },
  );
});

describe('endpoint quirks users rely on', () => {
  it('Relight refuses a reference image and a lightmap together, naming the field', () => {
    const relight = getNode('freepik.relight')!;
    const result = relight.params.safeParse({ transfer_light_from_reference_image: 'a', transfer_light_from_lightmap: 'b' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]).toMatchObject({ path: ['transfer_light_from_lightmap'], message: expect.stringMatching(/not both/) });
  });

  it('Relight refuses two linked light sources when building the request, naming the field', () => {
    const exec = getNode('freepik.relight')!.execution as HttpExecution<Record<string, unknown>>;
    const params = getNode('freepik.relight')!.params.parse({}) as Record<string, unknown>;
    const build = () =>
      exec.request({
        params,
        inputs: { image: fx.photoUrl, transfer_light_from_reference_image: fx.refUrl, transfer_light_from_lightmap: fx.refB64 },
        idempotencyKey: randomUUID(),
      });
    expect(build).toThrow(expect.objectContaining({ code: 'invalid_input', field: 'transfer_light_from_lightmap' }));
  });

  it('Kling 2.1 needs an image or a prompt, naming prompt', () => {
    for (const id of ['freepik.kling-v2-1-master', 'freepik.kling-v2-1-pro', 'freepik.kling-v2-1-std']) {
      const exec = getNode(id)!.execution as HttpExecution<Record<string, unknown>>;
      const build = () => exec.request({ params: { duration: '5', cfg_scale: 0.5 }, inputs: {}, idempotencyKey: randomUUID() });
      expect(build).toThrow(expect.objectContaining({ code: 'invalid_input', field: 'prompt' }));
    }
  });

  it('Mystic refuses an aspect ratio the fluid model does not take', () => {
    const result = getNode('freepik.mystic')!.params.safeParse({ model: 'fluid', aspect_ratio: 'smartphone_vertical_9_20' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['aspect_ratio']);
  });

  it('Kling 2.1 pro and std poll the shared kling-v2-1 route; the create path + id is not a status route for pro', async () => {
    const { task } = await runNode('freepik.kling-v2-1-pro', { duration: '5', prompt: 'waves' });
    const own = await send({ method: 'GET', path: `/v1/ai/image-to-video/kling-v2-1-pro/${task.taskId}` });
    expect(own.status).toBe(404);
    const std = getNode('freepik.kling-v2-1-std')!.execution as HttpExecution<unknown>;
    expect(std.statusPath!('abc')).toBe('/v1/ai/image-to-video/kling-v2-1/abc');
  });

  it('Kling v2 refuses a 4th unfinished task of one key with 429, as the catalog declares', async () => {
    const exec = getNode('freepik.kling-v2')!.execution as HttpExecution<Record<string, unknown>>;
    expect(exec.maxConcurrentTasks).toBe(klingV2.maxConcurrentTasks);
    sim.configure({ latencyByEndpoint: { 'freepik.kling-v2': 60_000 } });
    try {
      const request = exec.request({ params: { duration: '5', cfg_scale: 0.5 }, inputs: { image: fx.photoB64 }, idempotencyKey: randomUUID() });
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await send(request));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
      expect(answers[3]!.body.message).toMatch(/at most 3/);
    } finally {
      sim.configure({ latencyByEndpoint: {} });
    }
  });

  it('text-to-icon is webhook-only: no status route, and the POST without webhook_url is a 400', async () => {
    const missing = await send(post('/v1/ai/text-to-icon', { prompt: 'cat' }));
    expect(missing.status).toBe(400);
    expect(missing.body.invalid_params).toEqual([expect.objectContaining({ name: 'webhook_url' })]);
    const { task } = await runNode('freepik.text-to-icon', { prompt: 'cat' });
    expect((await send({ method: 'GET', path: `/v1/ai/text-to-icon/${task.taskId}` })).status).toBe(404);
  });

  it('icon render answers as the seed shows (in progress, no file); the file arrives by the icon task\'s webhook', async () => {
    const render = getNode('freepik.text-to-icon-render')!.execution as HttpExecution<Record<string, unknown>>;
    expect(render.mode).toBe('webhook-only');
    expect(render.statusPath).toBeUndefined();
    const icon = await runNode('freepik.text-to-icon', { prompt: 'rocket', format: 'png' });
    const answer = await send({ method: 'POST', path: `/v1/ai/text-to-icon/${icon.task.taskId}/render/svg` });
    expect(answer.status).toBe(200);
    // S4:6011-6081: "the Text to Icon process has started", IN_PROGRESS with an empty list.
    const started = readTask(answer.body);
    expect(started).toMatchObject({ status: 'IN_PROGRESS', generated: [] });
    expect(started.taskId).toBeTruthy();
    expect(render.extract(started).image).toBeUndefined();
    await expect
      .poll(() => webhooks.find((w) => w.task_id === started.taskId && w.status === 'COMPLETED'), { timeout: 15_000, interval: 40 })
      .toBeTruthy();
    const done = readTask(webhooks.find((w) => w.task_id === started.taskId && w.status === 'COMPLETED'));
    expect((await picture(render.extract(done).image)).format).toBe('svg');
    expect((await send({ method: 'POST', path: `/v1/ai/text-to-icon/${randomUUID()}/render/png` })).status).toBe(404);
  });

  it('Remove background result URLs live 5 minutes', async () => {
    expect(removeBackground.resultTtlMs).toBe(5 * 60 * 1000);
    const short = await startSimulator({ latencyMs: 0, rateLimits: false, endpoints: [{ ...removeBackground, resultTtlMs: 150 }] });
    try {
      const response = await fetch(`${short.url}/v1/ai/beta/remove-background`, {
        method: 'POST',
        headers: { 'x-freepik-api-key': API_KEY, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ image_url: fx.photoUrl }),
      });
      const body = (await response.json()) as Record<string, string>;
      expect(Object.keys(body).sort()).toEqual(['high_resolution', 'original', 'preview', 'url']);
      expect((await fetch(body.url!)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect((await fetch(body.url!)).status).toBe(403);
    } finally {
      await short.close();
    }
  });

  it('Remove background takes only URLs: base64 is refused naming image_url', async () => {
    const refused = await send({ method: 'POST', path: '/v1/ai/beta/remove-background', encoding: 'form', body: { image_url: fx.photoB64 } });
    expect(refused.status).toBe(400);
    expect(refused.body.invalid_params[0].name).toBe('image_url');
  });
});
