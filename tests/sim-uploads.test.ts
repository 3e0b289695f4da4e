import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '@pikflow/freepik-sim';

let sim: RunningSimulator;

function upload(fields: { id?: string; image?: { data: Buffer; name: string; type: string } }) {
  const form = new FormData();
  if (fields.id !== undefined) form.append('id', fields.id);
  if (fields.image) form.append('image', new Blob([fields.image.data], { type: fields.image.type }), fields.image.name);
  return fetch(`${sim.url}/api/v1/file/uploads`, { method: 'POST', body: form });
}

const jpeg = (background: string) =>
  sharp({ create: { width: 40, height: 30, channels: 3, background } }).jpeg().toBuffer();

beforeAll(async () => {
  // Keys are required for Freepik routes, but the upload service is the user's own and takes none.
  sim = await startSimulator({ apiKeys: ['only-this-key'], latencyMs: 0 });
});
afterAll(async () => {
  await sim?.close();
});

describe('file-upload service (seed 003)', () => {
  it('stores a multipart id + image and serves it at the returned URL', async () => {
    const id = randomUUID();
    const data = await jpeg('#123456');
    const response = await upload({ id, image: { data, name: '1.jpg', type: 'image/jpeg' } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body).toEqual({ id, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//), filename: '1.jpg', size: data.length, mime: 'image/jpeg' });

    const stored = await fetch(body.url);
    expect(stored.status).toBe(200);
    expect(stored.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await stored.arrayBuffer()).equals(data)).toBe(true);
  });

  it('overwrites when the same id is uploaded again', async () => {
    const id = randomUUID();
    const first = (await (await upload({ id, image: { data: await jpeg('#ff0000'), name: 'a.jpg', type: 'image/jpeg' } })).json()) as any;
    const second = await jpeg('#00ff00');
    const again = (await (await upload({ id, image: { data: second, name: 'a.jpg', type: 'image/jpeg' } })).json()) as any;
    expect(again.url).toBe(first.url);
    expect(Buffer.from(await (await fetch(again.url)).arrayBuffer()).equals(second)).toBe(true);
  });

  it('judges the file by its bytes, not its declared type', async () => {
    const png = await sharp({ create: { width: 5, height: 5, channels: 4, background: '#0000' } }).png().toBuffer();
    const response = await upload({ id: randomUUID(), image: { data: png, name: 'scan', type: 'application/octet-stream' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ mime: 'image/png', filename: 'scan.png' });
  });

  it('refuses missing fields, a bad id and non-images with a clear 400', async () => {
    const image = { data: await jpeg('#000000'), name: 'x.jpg', type: 'image/jpeg' };
    const cases: [Parameters<typeof upload>[0], RegExp][] = [
      [{ image }, /missing field id/],
      [{ id: randomUUID() }, /missing field image/],
      [{ id: 'not-a-uuid', image }, /id must be a UUID/],
      [{ id: randomUUID(), image: { data: Buffer.from('%PDF-1.4 not an image'), name: 'x.jpg', type: 'image/jpeg' } }, /not an image/],
    ];
    for (const [fields, message] of cases) {
      const response = await upload(fields);
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).message).toMatch(message);
    }
    const json = await fetch(`${sim.url}/api/v1/file/uploads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    expect(((await json.json()) as any).message).toMatch(/multipart/);
  });

  it('refuses an image above the pixel cap with a message saying so (sharp limitInputPixels)', async () => {
    sim.configure({ maxInputPixels: 1_000 });
    try {
      const response = await upload({ id: randomUUID(), image: { data: await jpeg('#abcdef'), name: 'big.jpg', type: 'image/jpeg' } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).message).toBe('field image is too large: at most 1000 pixels are accepted');
    } finally {
      sim.configure({ maxInputPixels: 100_000_000 });
    }
    const fine = await upload({ id: randomUUID(), image: { data: await jpeg('#abcdef'), name: 'ok.jpg', type: 'image/jpeg' } });
    expect(fine.status).toBe(200);
  });

  it('answers 404 for an unknown upload', async () => {
    expect((await fetch(`${sim.url}/api/v1/file/uploads/${randomUUID()}/x.png`)).status).toBe(404);
  });
});
