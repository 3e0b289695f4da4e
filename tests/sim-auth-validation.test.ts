import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '@pikflow/freepik-sim';

const GEMINI = '/v1/ai/gemini-2-5-flash-image-preview';
const PRECISION = '/v1/ai/image-upscaler-precision-v2';
const VALIDATION = "Your request parameters didn't validate.";

let sim: RunningSimulator;
let images: Server;
let imagesUrl: string;
let smallPng: Buffer;

async function post(path: string, body: unknown, headers: Record<string, string> = { 'x-freepik-api-key': 'good-key' }) {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

beforeAll(async () => {
  smallPng = await sharp({ create: { width: 16, height: 12, channels: 3, background: '#ff8800' } }).png().toBuffer();
  // A loopback "public URL" host for image fields given as URLs.
  images = createServer((req, res) => {
    if (req.url === '/photo.png') res.writeHead(200, { 'content-type': 'image/png' }).end(smallPng);
    else if (req.url === '/not-an-image.png') res.writeHead(200, { 'content-type': 'image/png' }).end('hello');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  sim = await startSimulator({ apiKeys: ['good-key'], latencyMs: 0 });
});
afterAll(async () => {
  await sim?.close();
  await new Promise((resolve) => images?.close(resolve));
});

describe('authentication', () => {
  it('answers 401 {"message":"Missing API key"} without x-freepik-api-key', async () => {
    for (const headers of [{}, { 'x-freepik-api-key': '' }] as Record<string, string>[]) {
      const response = await post(GEMINI, { prompt: 'x' }, headers);
      expect(response).toEqual({ status: 401, body: { message: 'Missing API key' } });
    }
    const get = await fetch(`${sim.url}${GEMINI}/any-id`);
    expect(get.status).toBe(401);
    expect(await get.json()).toEqual({ message: 'Missing API key' });
  });

  it('answers 401 {"message":"Invalid API key"} for a key not configured', async () => {
    const response = await post(GEMINI, { prompt: 'x' }, { 'x-freepik-api-key': 'wrong-key' });
    expect(response).toEqual({ status: 401, body: { message: 'Invalid API key' } });
    // Bearer auth is not Freepik's scheme.
    const bearer = await post(GEMINI, { prompt: 'x' }, { authorization: 'Bearer good-key' });
    expect(bearer.body).toEqual({ message: 'Missing API key' });
  });

  it('accepts any non-empty key when no keys are configured', async () => {
    sim.configure({ apiKeys: [] });
    try {
      expect((await post(GEMINI, { prompt: 'x' }, { 'x-freepik-api-key': 'whatever' })).status).toBe(200);
    } finally {
      sim.configure({ apiKeys: ['good-key'] });
    }
  });

  it('needs no key for /__sim routes', async () => {
    expect((await fetch(`${sim.url}/__sim/stats`)).status).toBe(200);
  });
});

describe('validation by the request rules written from the seeds', () => {
  const invalid = (names: string[]) => ({
    status: 400,
    body: { message: VALIDATION, invalid_params: names.map((name) => ({ name, reason: expect.any(String) })) },
  });

  it('names sharpen when it is 101', async () => {
    const response = await post(PRECISION, { image: smallPng.toString('base64'), sharpen: 101 });
    expect(response).toEqual(invalid(['sharpen']));
    expect(response.body.invalid_params[0].reason).toMatch(/100/);
  });

  it('names scale_factor when it is 17, "17" or "x2"', async () => {
    for (const scale_factor of [17, '17', 'x2', 1.5]) {
      expect(await post(PRECISION, { image: smallPng.toString('base64'), scale_factor })).toEqual(invalid(['scale_factor']));
    }
  });

  it('names reference_images when there are 4', async () => {
    const ref = smallPng.toString('base64');
    expect(await post(GEMINI, { prompt: 'x', reference_images: [ref, ref, ref, ref] })).toEqual(invalid(['reference_images']));
  });

  it('reports every invalid field at once, including missing required ones', async () => {
    const response = await post(PRECISION, { sharpen: -1, flavor: 'cartoon' });
    expect(response.status).toBe(400);
    expect(response.body.invalid_params.map((p: { name: string }) => p.name).sort()).toEqual(['flavor', 'image', 'sharpen']);
    expect(await post(GEMINI, {})).toEqual(invalid(['prompt']));
  });

  it('names the image field when the image cannot be decoded', async () => {
    expect(await post(PRECISION, { image: 'not base64 at all!' })).toEqual(invalid(['image']));
    expect(await post(PRECISION, { image: Buffer.from('just some text').toString('base64') })).toEqual(invalid(['image']));
    const refs = [smallPng.toString('base64'), `${imagesUrl}/not-an-image.png`];
    expect(await post(GEMINI, { prompt: 'x', reference_images: refs })).toEqual(invalid(['reference_images.1']));
    expect(await post(PRECISION, { image: `${imagesUrl}/missing.png` })).toEqual(invalid(['image']));
  });

  it('downloads images given as http(s) URLs', async () => {
    const response = await post(PRECISION, { image: `${imagesUrl}/photo.png`, scale_factor: 2 });
    expect(response.status).toBe(200);
    expect(response.body.data.status).toBe('CREATED');
  });

  it('accepts every documented field', async () => {
    const response = await post(PRECISION, {
      image: smallPng.toString('base64'),
      sharpen: 0,
      smart_grain: 100,
      ultra_detail: 50,
      flavor: 'photo_denoiser',
      scale_factor: 16,
      webhook_url: 'http://127.0.0.1:9/hook',
    });
    expect(response.status).toBe(200);
  });

  it('refuses a field the seeds do not document, naming it (so a drifting catalog is caught)', async () => {
    const response = await post(PRECISION, { image: smallPng.toString('base64'), scale_factor: 4, filter_nsfw: true });
    expect(response).toEqual({
      status: 400,
      body: { message: VALIDATION, invalid_params: [{ name: 'filter_nsfw', reason: 'not a documented field' }] },
    });
  });

  it('refuses a malformed JSON body with a 400 in the same shape', async () => {
    const response = await fetch(`${sim.url}${PRECISION}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-freepik-api-key': 'good-key' },
      body: '{"image": ',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).message).toBe(VALIDATION);
  });
});
