import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '@pikflow/freepik-sim';

const KEY = 'sim-test-key';
const GEMINI = '/v1/ai/gemini-2-5-flash-image-preview';
const PRECISION = '/v1/ai/image-upscaler-precision-v2';

let sim: RunningSimulator;

async function call(path: string, body?: unknown) {
  const response = await fetch(`${sim.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'x-freepik-api-key': KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any, headers: response.headers };
}

/** Polls a task until it is terminal, recording each distinct status seen. */
async function pollToEnd(path: string, taskId: string, everyMs = 25) {
  const seen: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const { body } = await call(`${path}/${taskId}`);
    if (seen.at(-1) !== body.data.status) seen.push(body.data.status);
    if (body.data.status === 'COMPLETED' || body.data.status === 'FAILED') return { seen, data: body.data };
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error('task never finished');
}

const png = (width: number, height: number, background = '#3366cc') =>
  sharp({ create: { width, height, channels: 3, background } }).png().toBuffer();

async function download(url: string) {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), data: Buffer.from(await response.arrayBuffer()) };
}

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 0, seed: 7 });
});
afterAll(async () => {
  await sim?.close();
});

describe('task lifecycle', () => {
  it('goes CREATED → IN_PROGRESS → COMPLETED over the configured latency', async () => {
    sim.configure({ latencyByEndpoint: { 'freepik.gemini-2-5-flash': 2_500 } });
    try {
      const created = await call(GEMINI, { prompt: 'a lighthouse at dusk' });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({ data: { task_id: expect.any(String), status: 'CREATED', generated: [] } });
      const { seen, data } = await pollToEnd(GEMINI, created.body.data.task_id);
      expect(seen).toEqual(['CREATED', 'IN_PROGRESS', 'COMPLETED']);
      expect(data.generated).toHaveLength(1);
      expect(data.generated[0]).toMatch(new RegExp(`^${sim.url}/__sim/files/`));
    } finally {
      sim.configure({ latencyByEndpoint: {} });
    }
  });

  it('lists every task of the key and endpoint at the create path', async () => {
    const a = await call(GEMINI, { prompt: 'one' });
    const b = await call(GEMINI, { prompt: 'two' });
    await pollToEnd(GEMINI, b.body.data.task_id);
    const list = await call(GEMINI);
    expect(list.status).toBe(200);
    const ids = list.body.data.map((t: { task_id: string }) => t.task_id);
    expect(ids).toEqual(expect.arrayContaining([a.body.data.task_id, b.body.data.task_id]));
    for (const entry of list.body.data) expect(Object.keys(entry).sort()).toEqual(['status', 'task_id']);
    // Another key sees none of them; a task is not readable on another endpoint's status path.
    const other = await fetch(`${sim.url}${GEMINI}`, { headers: { 'x-freepik-api-key': 'someone-else' } });
    expect(((await other.json()) as any).data).toEqual([]);
    expect((await call(`${PRECISION}/${a.body.data.task_id}`)).status).toBe(404);
  });

  it('answers 404 {"message":"Not found"} for an unknown task id', async () => {
    const response = await call(`${GEMINI}/00000000-0000-4000-8000-000000000000`);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Not found' });
  });
});

describe('real outputs', () => {
  it('Precision V2 with scale_factor 4 turns a 200×150 PNG into an 800×600 PNG', async () => {
    const image = (await png(200, 150)).toString('base64');
    const created = await call(PRECISION, { image, scale_factor: 4, sharpen: 20 });
    expect(created.status).toBe(200);
    const { data } = await pollToEnd(PRECISION, created.body.data.task_id);
    expect(data.status).toBe('COMPLETED');
    const file = await download(data.generated[0]);
    expect(file.status).toBe(200);
    expect(file.type).toBe('image/png');
    const meta = await sharp(file.data).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([800, 600, 'png']);
  });

  it('Precision V2 takes scale_factor as a string and an image as a data URI', async () => {
    const image = `data:image/png;base64,${(await png(30, 20)).toString('base64')}`;
    const created = await call(PRECISION, { image, scale_factor: '3' });
    const { data } = await pollToEnd(PRECISION, created.body.data.task_id);
    const meta = await sharp((await download(data.generated[0])).data).metadata();
    expect([meta.width, meta.height]).toEqual([90, 60]);
  });

  it('Precision V2 ends FAILED (not 400) when the output would exceed the pixel cap', async () => {
    sim.configure({ maxOutputPixels: 1_000_000 });
    try {
      const created = await call(PRECISION, { image: (await png(300, 300)).toString('base64'), scale_factor: 16 });
      expect(created.status).toBe(200);
      const { data } = await pollToEnd(PRECISION, created.body.data.task_id);
      expect(data).toEqual({ task_id: created.body.data.task_id, status: 'FAILED', generated: [] });
    } finally {
      sim.configure({ maxOutputPixels: 64_000_000 });
    }
  });

  it('Gemini returns a visibly changed image derived from the first reference', async () => {
    const reference = await png(120, 80, '#808080');
    const created = await call(GEMINI, { prompt: 'restore this photo', reference_images: [reference.toString('base64')] });
    const { data } = await pollToEnd(GEMINI, created.body.data.task_id);
    const out = (await download(data.generated[0])).data;
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([120, 80]);
    const [before, after] = await Promise.all([sharp(reference).stats(), sharp(out).stats()]);
    const meanDelta = before.channels
      .slice(0, 3)
      .reduce((sum, c, i) => sum + Math.abs(c.mean - after.channels[i].mean), 0);
    expect(meanDelta).toBeGreaterThan(15);
  });

  it('Gemini without references draws an image from the prompt', async () => {
    const created = await call(GEMINI, { prompt: 'a red fox & a <blue> owl' });
    const { data } = await pollToEnd(GEMINI, created.body.data.task_id);
    const meta = await sharp((await download(data.generated[0])).data).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThanOrEqual(512);
  });
});

describe('result URL expiry', () => {
  it('serves a result until its lifetime ends, then answers 403 like an expired signed URL', async () => {
    sim.configure({ resultTtlMs: 1_000 });
    try {
      const created = await call(PRECISION, { image: (await png(10, 10)).toString('base64'), scale_factor: 2 });
      const { data } = await pollToEnd(PRECISION, created.body.data.task_id);
      expect((await download(data.generated[0])).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1_100));
      const expired = await download(data.generated[0]);
      expect(expired.status).toBe(403);
      expect(expired.data.toString()).toContain('ExpiredToken');
      // The task still reports the same (now dead) URL, as Freepik does.
      expect((await call(`${PRECISION}/${data.task_id}`)).body.data.generated).toEqual(data.generated);
      expect((await download(`${sim.url}/__sim/files/nope.png`)).status).toBe(404);
    } finally {
      sim.configure({ resultTtlMs: 24 * 60 * 60 * 1000 });
    }
  });
});

describe('result file memory budget', () => {
  it('expires the oldest results early once the budget is spent', async () => {
    sim.configure({ maxStoredFileBytes: 1 });
    try {
      const urls: string[] = [];
      for (const background of ['#111111', '#222222']) {
        const created = await call(PRECISION, { image: (await png(10, 10, background)).toString('base64') });
        urls.push((await pollToEnd(PRECISION, created.body.data.task_id)).data.generated[0]);
      }
      // Each file alone is over budget: the older one is gone, the newest stays servable.
      expect((await download(urls[0])).status).toBe(403);
      expect((await download(urls[1])).status).toBe(200);
    } finally {
      sim.configure({ maxStoredFileBytes: 1024 * 1024 * 1024 });
    }
  });
});

describe('stats', () => {
  it('counts submissions, polls and list calls per endpoint and per key', async () => {
    sim.resetStats();
    const created = await call(PRECISION, { image: (await png(8, 8)).toString('base64') });
    await call(PRECISION, { image: (await png(8, 8)).toString('base64'), sharpen: 101 });
    const { seen } = await pollToEnd(PRECISION, created.body.data.task_id);
    await call(PRECISION);
    const stats = (await (await fetch(`${sim.url}/__sim/stats`)).json()) as any;
    const polls = stats.polls['freepik.upscaler-precision-v2'];
    expect(stats.submissions).toEqual({ 'freepik.upscaler-precision-v2': 1 });
    expect(stats.invalid).toEqual({ 'freepik.upscaler-precision-v2': 1 });
    expect(polls).toBeGreaterThanOrEqual(seen.length);
    expect(stats.lists).toEqual({ 'freepik.upscaler-precision-v2': 1 });
    expect(stats.totals).toMatchObject({ submissions: 1, polls, lists: 1 });
    expect(stats.requests).toBe(2 + polls + 1);
    // Per key, under a fingerprint; ?key= narrows to one key without echoing it.
    const mine = (await (await fetch(`${sim.url}/__sim/stats?key=${KEY}`)).json()) as any;
    expect(mine.submissions).toEqual({ 'freepik.upscaler-precision-v2': 1 });
    expect(JSON.stringify(stats)).not.toContain(KEY);
    expect(sim.stats().totals.submissions).toBe(1);

    await fetch(`${sim.url}/__sim/reset`, { method: 'POST' });
    expect(sim.stats().totals).toEqual({ submissions: 0, polls: 0, lists: 0, webhookDeliveries: 0 });
  });
});

describe("Kling's documented image rules (the simulator's own, from the seeds)", () => {
  const KLING_V2 = '/v1/ai/image-to-video/kling-v2';
  const KLING_V21_STD = '/v1/ai/image-to-video/kling-v2-1-std';
  const base64 = async (image: Promise<Buffer>) => (await image).toString('base64');

  it('ends FAILED for an image under 300×300 px or outside 1:2.5–2.5:1, and completes within them', async () => {
    for (const [width, height, status] of [
      [200, 200, 'FAILED'],
      [900, 300, 'FAILED'],
      [300, 800, 'FAILED'],
      [300, 300, 'COMPLETED'],
      [750, 300, 'COMPLETED'],
    ] as const) {
      const created = await call(KLING_V2, { image: await base64(png(width, height)), duration: '5' });
      expect(created.status).toBe(200);
      const { data } = await pollToEnd(KLING_V2, created.body.data.task_id);
      expect(data.status, `${width}×${height}`).toBe(status);
    }
  });

  it('ends FAILED for an image over 10 MB', async () => {
    // Noise does not compress: about 12 MB of PNG.
    const noisy = sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 80 } } }).png().toBuffer();
    const image = await noisy;
    expect(image.length).toBeGreaterThan(10 * 1024 * 1024);
    const created = await call(KLING_V2, { image: image.toString('base64'), duration: '5' });
    const { data } = await pollToEnd(KLING_V2, created.body.data.task_id);
    expect(data.status).toBe('FAILED');
  });

  it('takes the 2.1 static mask only as JPG or PNG', async () => {
    const image = await base64(png(400, 300));
    const webp = await base64(sharp({ create: { width: 400, height: 300, channels: 3, background: '#fff' } }).webp().toBuffer());
    const refused = await call(KLING_V21_STD, { image, static_mask: webp, duration: '5' });
    expect((await pollToEnd('/v1/ai/image-to-video/kling-v2-1', refused.body.data.task_id)).data.status).toBe('FAILED');
    const taken = await call(KLING_V21_STD, { image, static_mask: await base64(png(400, 300, '#fff')), duration: '5' });
    expect((await pollToEnd('/v1/ai/image-to-video/kling-v2-1', taken.body.data.task_id)).data.status).toBe('COMPLETED');
  });
});

describe("Remove background's documented input rules", () => {
  it('refuses a GIF with a 400 naming image_url and cuts out a PNG', async () => {
    const files: Record<string, { type: string; data: Buffer }> = {
      '/photo.gif': { type: 'image/gif', data: await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c33' } }).gif().toBuffer() },
      '/photo.png': { type: 'image/png', data: await png(64, 64, '#c33') },
    };
    const host = createServer((req, res) => {
      const file = files[req.url ?? ''];
      res.writeHead(file ? 200 : 404, { 'content-type': file?.type ?? 'text/plain' }).end(file?.data ?? 'not found');
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    const cut = (url: string) =>
      fetch(`${sim.url}/v1/ai/beta/remove-background`, {
        method: 'POST',
        headers: { 'x-freepik-api-key': KEY, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ image_url: url }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    try {
      const refused = await cut(`${origin}/photo.gif`);
      expect(refused.status).toBe(400);
      expect(refused.body.invalid_params).toEqual([{ name: 'image_url', reason: 'image_url is gif; JPG or PNG only' }]);
      const taken = await cut(`${origin}/photo.png`);
      expect(taken.status).toBe(200);
      expect(taken.body.high_resolution).toMatch(/^http/);
    } finally {
      host.close();
    }
  });
});
