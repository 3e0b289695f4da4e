/**
 * Webhook path: with PUBLIC_URL and a webhook secret, a run completes from Freepik's
 * signed callbacks without a single status poll; forged, stale and replayed webhooks
 * are refused.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '@pikflow/engine';
import type { AssetRef } from '@pikflow/pipeline';
import { seedPipeline, smallPng, startHarness, type Harness } from './support/engine-harness.ts';
import { startMiniServer, type MiniServer } from './support/mini-server.ts';

const SECRET = 'whsec-test-only-not-a-real-secret';

describe('webhooks', () => {
  let h: Harness;
  let server: MiniServer;
  beforeAll(async () => {
    let harness: Harness | undefined;
    server = await startMiniServer(() => harness!.engine);
    harness = await startHarness({
      kind: 'pglite',
      sim: { latencyMs: 200, webhookSecret: SECRET },
      config: { publicUrl: server.url, webhookSecret: SECRET },
    });
    h = harness;
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
  });

  const headersFor = (id: string, timestamp: number, body: string, secret = SECRET) => ({
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signWebhook(secret, id, timestamp, body)}`,
  });

  it('completes a run with zero status polls', async () => {
    const input = await smallPng(30, 20);
    const { runId } = await h.engine.startRun({ document: seedPipeline(4), inputs: { photo: input.dataUri } });
    const run = await h.engine.waitForRun(runId, 20_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect((run.outputs!.image as AssetRef).width).toBe(120);
    const stats = h.sim.stats();
    expect(stats.totals.polls).toBe(0);
    expect(h.engine.stats.statusRequests).toBe(0);
    expect(server.webhooks.accepted).toBeGreaterThanOrEqual(2);
    for (const node of run.nodes.filter((n) => n.nodeType.startsWith('freepik.'))) expect(node.pollCount).toBe(0);
    // Images were handed to Freepik as URLs of our asset route, not as base64.
    expect(JSON.stringify(run.nodes.find((n) => n.nodeId === 'upscale'))).not.toContain('base64');
  });

  it('refuses a bad signature, an old timestamp and a replay', async () => {
    const body = JSON.stringify({ task_id: randomUUID(), status: 'COMPLETED', generated: [] });
    const now = Math.floor(Date.now() / 1000);

    await expect(h.engine.acceptWebhook({ headers: headersFor(randomUUID(), now, body, 'wrong-secret'), rawBody: body })).rejects.toMatchObject({
      code: 'webhook_rejected',
      message: expect.stringContaining('signature'),
    });
    // Tampered body with a signature made for another body.
    await expect(h.engine.acceptWebhook({ headers: headersFor(randomUUID(), now, body), rawBody: body + ' ' })).rejects.toMatchObject({ code: 'webhook_rejected' });
    await expect(h.engine.acceptWebhook({ headers: headersFor(randomUUID(), now - 600, body), rawBody: body })).rejects.toMatchObject({
      code: 'webhook_rejected',
      message: expect.stringContaining('5 minutes'),
    });
    await expect(h.engine.acceptWebhook({ headers: { 'webhook-id': 'x' }, rawBody: body })).rejects.toMatchObject({ code: 'webhook_rejected' });

    // Unknown task ids are accepted and ignored; the same webhook-id again is a replay.
    const id = randomUUID();
    await expect(h.engine.acceptWebhook({ headers: headersFor(id, now, body), rawBody: body })).resolves.toBeUndefined();
    await expect(h.engine.acceptWebhook({ headers: headersFor(id, now, body), rawBody: body })).rejects.toMatchObject({
      code: 'webhook_rejected',
      message: expect.stringContaining('replay'),
    });

    // Any one valid entry among several versioned signatures is enough.
    const multiId = randomUUID();
    const multi = { ...headersFor(multiId, now, body), 'webhook-signature': `v1,AAAA v1,${signWebhook(SECRET, multiId, now, body)}` };
    await expect(h.engine.acceptWebhook({ headers: multi, rawBody: body })).resolves.toBeUndefined();

    // Over HTTP the refusal is a 401.
    const response = await fetch(`${server.url}/api/webhooks/freepik`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headersFor(randomUUID(), now, body, 'forged') },
      body,
    });
    expect(response.status).toBe(401);
  });
});
