import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '@pikflow/freepik-sim';

const SECRET = 'whsec-test-only';
const PRECISION = '/v1/ai/image-upscaler-precision-v2';

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
}

let sim: RunningSimulator;
let receiver: Server;
let receiverUrl: string;
let received: Received[] = [];
/** How many of the next deliveries the receiver refuses with 500. */
let refuseNext = 0;

/** The receiving side, written from the spec, not from the simulator's code. */
function verify({ headers, raw }: Received, secret: string): boolean {
  const id = String(headers['webhook-id']);
  const timestamp = String(headers['webhook-timestamp']);
  const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.${raw}`).digest('base64');
  return String(headers['webhook-signature'])
    .split(' ')
    .some((entry) => entry === `v1,${expected}`);
}

async function submit(extra: Record<string, unknown> = {}) {
  const image = (await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).png().toBuffer()).toString('base64');
  const response = await fetch(`${sim.url}${PRECISION}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-freepik-api-key': 'hook-key' },
    body: JSON.stringify({ image, scale_factor: 2, webhook_url: `${receiverUrl}/hooks/freepik`, ...extra }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as any).data.task_id as string;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (refuseNext > 0) {
        refuseNext--;
        res.writeHead(500).end();
        return;
      }
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  sim = await startSimulator({ webhookSecret: SECRET, latencyMs: 100, webhookRetryBaseMs: 50, logger: process.env.SIM_DEBUG ? { level: "debug" } : false });
});
beforeEach(() => {
  received = [];
  refuseNext = 0;
});
afterAll(async () => {
  await sim?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('webhooks', () => {
  it('POSTs every status change, signed v1 HMAC-SHA256 over id.timestamp.body', async () => {
    const taskId = await submit();
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(2);
    await sim.webhooksIdle();

    const bodies = received.map((r) => JSON.parse(r.raw));
    expect(bodies.map((b) => b.status)).toEqual(['IN_PROGRESS', 'COMPLETED']);
    // The GET response without `data`.
    expect(bodies[0]).toEqual({ task_id: taskId, status: 'IN_PROGRESS', generated: [] });
    expect(bodies[1]).toEqual({ task_id: taskId, status: 'COMPLETED', generated: [expect.stringMatching(/\/__sim\/files\//)] });
    const status = (await (await fetch(`${sim.url}${PRECISION}/${taskId}`, { headers: { 'x-freepik-api-key': 'hook-key' } })).json()) as any;
    expect(bodies[1]).toEqual(status.data);

    for (const delivery of received) {
      expect(delivery.headers['content-type']).toMatch(/application\/json/);
      expect(verify(delivery, SECRET)).toBe(true);
      expect(verify(delivery, 'another-secret')).toBe(false);
      const timestamp = Number(delivery.headers['webhook-timestamp']);
      expect(Number.isInteger(timestamp)).toBe(true);
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
      // A tampered body no longer matches the signature.
      expect(verify({ ...delivery, raw: delivery.raw.replace(taskId, 'x') }, SECRET)).toBe(false);
    }
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(2);
    expect(sim.stats().webhooks).toMatchObject({ delivered: 2 });
  });

  it('retries a refused delivery with the same webhook-id and a fresh signature', async () => {
    refuseNext = 2;
    sim.resetStats();
    await submit();
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(2);
    await sim.webhooksIdle();
    expect(received.map((r) => JSON.parse(r.raw).status)).toEqual(['IN_PROGRESS', 'COMPLETED']);
    for (const delivery of received) expect(verify(delivery, SECRET)).toBe(true);
    expect(sim.stats().webhooks).toEqual({ attempts: 4, delivered: 2, failed: 0 });
  });

  it('gives up after the configured retries without disturbing the simulator', async () => {
    sim.configure({ webhookRetries: 1 });
    try {
      refuseNext = 100;
      sim.resetStats();
      const taskId = await submit();
      await expect.poll(() => sim.stats().webhooks.failed, { timeout: 10_000 }).toBe(2);
      expect(sim.stats().webhooks).toEqual({ attempts: 4, delivered: 0, failed: 2 });
      const status = await fetch(`${sim.url}${PRECISION}/${taskId}`, { headers: { 'x-freepik-api-key': 'hook-key' } });
      expect(((await status.json()) as any).data.status).toBe('COMPLETED');
    } finally {
      sim.configure({ webhookRetries: 3 });
    }
  });

  it('survives an unreachable webhook_url', async () => {
    sim.configure({ webhookRetries: 0 });
    try {
      sim.resetStats();
      await submit({ webhook_url: 'http://127.0.0.1:1/nowhere' });
      await expect.poll(() => sim.stats().webhooks.failed, { timeout: 10_000 }).toBe(2);
      expect((await fetch(`${sim.url}/__sim/stats`)).status).toBe(200);
    } finally {
      sim.configure({ webhookRetries: 3 });
    }
  });

  it('refuses a webhook_url that is not an http(s) URL', async () => {
    const response = await fetch(`${sim.url}${PRECISION}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-freepik-api-key': 'hook-key' },
      body: JSON.stringify({ image: 'aGVsbG8=', webhook_url: 'ftp://example/hook' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).invalid_params[0].name).toBe('webhook_url');
  });
});
