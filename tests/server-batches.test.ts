/**
 * Batches over the REST API: many images in one multipart upload, a JSON list of inputs, a CSV
 * of URLs (with the URL rules of single runs), answered at once with a batch id; the batch view
 * fills in as the admission loop starts the items, each an ordinary run named after its file.
 * A ZIP (as the body, or a .zip part) gives one item per image, labelled with its path in the
 * archive; a non-image entry or a zip bomb refuses the batch before any request.
 */
import { readZip } from './support/read-zip.ts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { http, makePng, readEvents, startTestServer, upload, type TestServer } from './server-support.ts';
import { makeZip } from './support/make-zip.ts';

let sim: RunningSimulator;
let server: TestServer;
let base: string;
let pipelineId: string;

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 50, rateLimits: false, seed: 8 });
  server = await startTestServer({ simulator: sim });
  base = server.url;
  pipelineId = (await http(`${base}/api/templates/photo-restoration/pipelines`, { method: 'POST', json: { name: 'Album' } })).body.id;
});

afterAll(async () => {
  await server?.stop();
  await sim?.close();
});

async function finished(batchId: string) {
  for (let i = 0; i < 600; i++) {
    const { body } = await http(`${base}/api/batches/${batchId}`);
    if (body.status === 'completed' || body.status === 'cancelled') return body;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`batch ${batchId} did not finish`);
}

describe('batches over REST', () => {
  test('a multipart upload of many images: 202 at once, then every item a succeeded run named after its file', async () => {
    const form = new FormData();
    const names = ['grandma.png', 'wedding.png', 'beach.png'];
    for (const [i, name] of names.entries()) form.append('file', new Blob([new Uint8Array(await makePng(60 + i * 10, 40))], { type: 'image/png' }), name);
    form.append('maxInFlight', '2');
    const response = await fetch(`${base}/api/pipelines/${pipelineId}/batches`, { method: 'POST', body: form });
    expect(response.status).toBe(202);
    const created = (await response.json()) as { batchId: string; estimate: { runs: number; submissions: number } };
    expect(response.headers.get('location')).toBe(`/api/batches/${created.batchId}`);
    expect(created.estimate.runs).toBe(3);

    const view = await finished(created.batchId);
    expect(view).toMatchObject({ status: 'completed', total: 3, maxInFlight: 2, counts: { succeeded: 3, failed: 0, pending: 0 } });
    const items = (await http(`${base}/api/batches/${created.batchId}/items`)).body.items as { label: string; status: string; runId: string }[];
    expect(items.map((i) => i.label)).toEqual(names);
    for (const item of items) {
      expect(item.status).toBe('succeeded');
      expect((await http(`${base}/api/runs/${item.runId}`)).body.status).toBe('succeeded');
    }
    expect(created.estimate.submissions).toBe(Object.values(sim.stats().submissions).reduce((a, b) => a + b, 0));

    // The outputs as one ZIP: each file named after its item and output port, and a manifest.
    const zip = await fetch(`${base}/api/batches/${created.batchId}/outputs.zip`);
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    expect(zip.headers.get('content-disposition')).toBe(`attachment; filename="batch-${created.batchId}.zip"`);
    const entries = readZip(Buffer.from(await zip.arrayBuffer()));
    const run = (await http(`${base}/api/runs/${items[0]!.runId}`)).body as { outputs: Record<string, unknown> };
    const imagePorts = Object.entries(run.outputs).filter(([, v]) => typeof v === 'object').map(([k]) => k);
    expect(imagePorts.length).toBeGreaterThan(0);
    for (const name of ['grandma', 'wedding', 'beach']) {
      for (const port of imagePorts) {
        const file = entries.get(`${name}_${port}.png`);
        expect(file, `${name}_${port}.png in ${[...entries.keys()].join(', ')}`).toBeDefined();
        expect(file!.subarray(1, 4).toString('latin1')).toBe('PNG');
      }
    }
    const manifest = entries.get('manifest.csv')!.toString('utf8');
    expect(manifest.split('\n')[0]).toBe('item,label,status,output,value,error');
    expect(manifest).toContain('"grandma.png","succeeded"');
  });

  test('a JSON list of inputs objects', async () => {
    const photo = (await upload(base, await makePng(50, 40), 'a.png')).body.assetId;
    const created = await http(`${base}/api/pipelines/${pipelineId}/batches`, { method: 'POST', json: { items: [{ inputs: { photo }, label: 'row-1' }, { inputs: { photo } }] } });
    expect(created.status).toBe(202);
    // Progress as SSE until the batch ends.
    const stream = await readEvents(`${base}/api/batches/${created.body.batchId}/events`, { timeoutMs: 60_000 });
    expect(stream.status).toBe(200);
    const types = stream.events.map((e) => e.type as string);
    expect(types[types.length - 1]).toBe('batch.finished');
    expect((stream.events[stream.events.length - 1] as unknown as { batch: { counts: { succeeded: number } } }).batch.counts.succeeded).toBe(2);
    const view = await finished(created.body.batchId);
    expect(view.counts.succeeded).toBe(2);
    const items = (await http(`${base}/api/batches/${created.body.batchId}/items`)).body.items as { label: string }[];
    expect(items.map((i) => i.label)).toEqual(['row-1', 'item-2']);
    // Listed with the pipeline's batches, newest first, for the editor's Runs panel.
    const listed = (await http(`${base}/api/batches?pipelineId=${pipelineId}`)).body.batches as { id: string; total: number; status: string }[];
    expect(listed[0]).toMatchObject({ id: created.body.batchId, total: 2, status: 'completed' });
    expect((await http(`${base}/api/batches?pipelineId=${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`)).body.batches).toEqual([]);
    expect((await http(`${base}/api/batches?pipelineId=nope`)).status).toBe(400);
  });

  test('a CSV or JSON list of URLs follows the URL rules of single runs: a private address refuses the batch', async () => {
    const before = sim.stats().totals.submissions;
    const csv = await fetch(`${base}/api/pipelines/${pipelineId}/batches`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'url\nhttps://example.com/one.png\nhttp://10.0.0.7/two.png\n',
    });
    expect(csv.status).toBe(400);
    const body = (await csv.json()) as { error: { code: string; field: string; message: string } };
    expect(body.error).toMatchObject({ code: 'invalid_input', field: 'items[1]' });
    expect(body.error.message).toContain('http://10.0.0.7/two.png');
    const json = await http(`${base}/api/pipelines/${pipelineId}/batches`, { method: 'POST', json: { urls: ['https://example.com/a.png', 'file:///etc/passwd'] } });
    expect(json.status).toBe(400);
    expect(sim.stats().totals.submissions).toBe(before);
  });

  test('bad requests: both items and urls, an unknown batch, controlling a finished batch', async () => {
    expect((await http(`${base}/api/pipelines/${pipelineId}/batches`, { method: 'POST', json: { items: [], urls: [] } })).status).toBe(400);
    expect((await http(`${base}/api/pipelines/${pipelineId}/batches`, { method: 'POST', json: { items: [] } })).status).toBe(400);
    expect((await http(`${base}/api/batches/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    const photo = (await upload(base, await makePng(30, 20), 'b.png')).body.assetId;
    const created = await http(`${base}/api/pipelines/${pipelineId}/batches`, { method: 'POST', json: { items: [{ inputs: { photo } }] } });
    await finished(created.body.batchId);
    const cancel = await http(`${base}/api/batches/${created.body.batchId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(409);
    // Nothing failed: retrying failed items changes nothing.
    const retry = await http(`${base}/api/batches/${created.body.batchId}/retry-failed`, { method: 'POST' });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: 'completed', counts: { succeeded: 1 } });
  });
});

describe('ZIP batches over REST', () => {
  const zipBatch = (zip: Buffer, query = '') =>
    fetch(`${base}/api/pipelines/${pipelineId}/batches${query}`, { method: 'POST', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(zip) });

  test('an application/zip body: every image an item labelled with its path; folders, __MACOSX and dotfiles skipped', async () => {
    const zip = makeZip([
      { name: 'album/' },
      { name: 'album/grandma.png', data: await makePng(40, 30), deflate: true },
      { name: 'album/1950s/wedding.png', data: await makePng(50, 30) },
      { name: '__MACOSX/album/._grandma.png', data: Buffer.from('resource fork') },
      { name: 'album/.DS_Store', data: Buffer.from('finder') },
    ]);
    const response = await zipBatch(zip, '?maxInFlight=2');
    expect(response.status).toBe(202);
    const created = (await response.json()) as { batchId: string; estimate: { runs: number } };
    expect(created.estimate.runs).toBe(2);
    const view = await finished(created.batchId);
    expect(view).toMatchObject({ status: 'completed', total: 2, maxInFlight: 2, counts: { succeeded: 2, failed: 0 } });
    const items = (await http(`${base}/api/batches/${created.batchId}/items`)).body.items as { label: string; status: string }[];
    expect(items.map((i) => i.label)).toEqual(['album/grandma.png', 'album/1950s/wedding.png']);
    // Outputs are named after the item's file name.
    const entries = readZip(Buffer.from(await (await fetch(`${base}/api/batches/${created.batchId}/outputs.zip`)).arrayBuffer()));
    expect([...entries.keys()].some((name) => name.startsWith('grandma_'))).toBe(true);
    expect([...entries.keys()].some((name) => name.startsWith('wedding_'))).toBe(true);
  });

  test('a .zip part among image parts in a multipart upload', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await makePng(30, 30))], { type: 'image/png' }), 'loose.png');
    const zip = makeZip([{ name: 'scans/one.png', data: await makePng(31, 30), deflate: true }, { name: 'scans/two.png', data: await makePng(32, 30) }]);
    form.append('file', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'scans.zip');
    const response = await fetch(`${base}/api/pipelines/${pipelineId}/batches`, { method: 'POST', body: form });
    expect(response.status).toBe(202);
    const { batchId } = (await response.json()) as { batchId: string };
    const items = (await http(`${base}/api/batches/${batchId}/items`)).body.items as { label: string }[];
    expect(items.map((i) => i.label)).toEqual(['loose.png', 'scans/one.png', 'scans/two.png']);
    expect((await finished(batchId)).counts.succeeded).toBe(3);
  });

  test('a non-image entry, a zip bomb or a broken archive refuse the batch before any request, naming the problem', async () => {
    const before = sim.stats().totals.submissions;
    const text = await zipBatch(makeZip([{ name: 'album/a.png', data: await makePng(20, 20) }, { name: 'album/notes.txt', data: Buffer.from('not a photo') }]));
    expect(text.status).toBe(415);
    const textError = ((await text.json()) as { error: { code: string; message: string; field: string } }).error;
    expect(textError).toMatchObject({ code: 'unsupported_media_type', field: 'file' });
    expect(textError.message).toContain('album/notes.txt');

    const bomb = await zipBatch(makeZip([{ name: 'bomb.png', data: Buffer.alloc(20 * 1024 * 1024), deflate: true }]));
    expect(bomb.status).toBe(413);
    expect(((await bomb.json()) as { error: { message: string } }).error.message).toContain('zip bomb');

    const broken = await zipBatch(Buffer.from('PK but not really a zip'));
    expect(broken.status).toBe(400);

    // Parts may be as large as a ZIP may be, but an image part is still held to MAX_UPLOAD_MB as it streams.
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(26 * 1024 * 1024)], { type: 'image/png' }), 'huge.png');
    const huge = await fetch(`${base}/api/pipelines/${pipelineId}/batches`, { method: 'POST', body: form });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { message: string } }).error.message).toContain('huge.png');
    expect(sim.stats().totals.submissions).toBe(before);
  });
});
