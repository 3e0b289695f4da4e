/**
 * Secrets stay secret: with an API key, a webhook secret and an API token configured, a
 * whole run (upload, trigger, SSE, webhooks, polling, errors) leaves none of them in any
 * log line or any response the server gave.
 */
import { randomBytes } from 'node:crypto';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import type { RunView } from '@pikflow/pipeline';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { http, makePng, readEvents, startTestServer, upload, type TestServer } from './server-support.ts';

// Shaped like real ones, random per run.
const API_KEY = `FPSX${randomBytes(16).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const API_TOKEN = `pkf_${randomBytes(24).toString('base64url')}`;
const SECRETS = { API_KEY, WEBHOOK_SECRET, API_TOKEN };

let sim: RunningSimulator;
let server: TestServer;
const seen: string[] = [];

async function record(url: string, init: RequestInit & { json?: unknown } = {}) {
  const result = await http(url, init);
  seen.push(`${url} ${result.status}\n${[...result.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${result.text}`);
  return result;
}

beforeAll(async () => {
  sim = await startSimulator({ apiKeys: [API_KEY], webhookSecret: WEBHOOK_SECRET, latencyMs: 200 });
  server = await startTestServer({
    simulator: sim,
    config: { freepikApiKey: API_KEY, freepikWebhookSecret: WEBHOOK_SECRET, apiToken: API_TOKEN, requireToken: true, logLevel: 'trace' },
  });
});

afterAll(async () => {
  await server?.stop();
  await sim?.close();
});

test('no secret appears in any log line or response during a run', async () => {
  const base = server.url;
  const auth = { authorization: `Bearer ${API_TOKEN}` };

  await record(`${base}/api/health`);
  await record(`${base}/api/catalog`, { headers: auth });
  await record(`${base}/docs/json`);
  await record(`${base}/api/pipelines`); // 401
  await record(`${base}/api/pipelines`, { headers: { authorization: `Bearer ${API_TOKEN}x` } }); // 401
  await record(`${base}/api/webhooks/freepik`, { method: 'POST', body: '{"task_id":"x"}', headers: { 'content-type': 'application/json', 'webhook-id': 'm1', 'webhook-timestamp': '1', 'webhook-signature': 'v1,AAAA' } });

  const created = await record(`${base}/api/templates/photo-restoration/pipelines`, { method: 'POST', headers: auth, json: {} });
  expect(created.status).toBe(201);
  const up = await upload(base, await makePng(120, 90), 'old.png', 'image/png', auth);
  seen.push(up.text);
  expect(up.status).toBe(201);
  const trigger = await record(`${base}/api/pipelines/${created.body.id}/runs`, { method: 'POST', headers: auth, json: { inputs: { photo: up.body.assetId } } });
  expect(trigger.status).toBe(202);
  const runId = trigger.body.runId as string;

  const stream = await readEvents(`${base}/api/runs/${runId}/events`, { headers: auth, timeoutMs: 90_000 });
  seen.push(JSON.stringify(stream.events));
  expect(stream.events.at(-1)?.type).toBe('run.finished');

  const run = await record(`${base}/api/runs/${runId}`, { headers: auth });
  expect((run.body as RunView).status).toBe('succeeded');
  await record(`${base}/api/runs?limit=10`, { headers: auth });
  await record(`${base}/api/pipelines/${created.body.id}/runs`, { method: 'POST', headers: auth, json: { inputs: { photo: 'javascript:alert(1)' } } });
  await sim.webhooksIdle();

  // The run really happened with webhooks to this server, and the logs are about it.
  expect(server.logs.length).toBeGreaterThan(20);
  expect(server.logs.some((l) => l.includes(runId))).toBe(true);
  expect(server.logs.some((l) => l.includes('"reqId"'))).toBe(true);
  expect(server.logs.some((l) => l.includes('/api/webhooks/freepik'))).toBe(true);

  for (const [name, secret] of Object.entries(SECRETS)) {
    for (const line of server.logs) expect(line.includes(secret), `${name} in log line: ${line.slice(0, 200)}`).toBe(false);
    for (const response of seen) expect(response.includes(secret), `${name} in a response`).toBe(false);
  }
});
