/**
 * Bad requests get the right 4xx with a message naming the field or node, and the server
 * shrugs them off: afterwards it is healthy and an earlier run is still intact.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { signWebhook, startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import type { RunView } from '@pikflow/pipeline';
import { buildApp, loadConfig } from '@pikflow/server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { http, makePng, startTestServer, upload, type HttpResult, type TestServer } from './server-support.ts';

const KEY = `bad_${randomBytes(16).toString('hex')}`;
const SECRET = randomBytes(24).toString('base64url');
const UPLOAD_LIMIT_MB = 1;

let sim: RunningSimulator;
let server: TestServer;
let base: string;
let pipelineId: string;
let deletedPipelineId: string;
let assetId: string;
let earlierRun: RunView;
let upscaleTaskId: string;

const validDocument = (): { version: number; nodes: any[]; edges: any[] } => ({
  version: 1,
  nodes: [
    { id: 'in', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
    { id: 'up', type: 'freepik.upscaler-precision-v2', params: { scale_factor: 2 }, position: { x: 300, y: 0 } },
    { id: 'out', type: 'output', params: { name: 'image' }, position: { x: 600, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'in', sourceHandle: 'image', target: 'up', targetHandle: 'image' },
    { id: 'e2', source: 'up', sourceHandle: 'image', target: 'out', targetHandle: 'value' },
  ],
});

beforeAll(async () => {
  sim = await startSimulator({ apiKeys: [KEY], webhookSecret: SECRET, latencyMs: 100 });
  server = await startTestServer({
    simulator: sim,
    config: { freepikApiKey: KEY, freepikWebhookSecret: SECRET },
    env: { MAX_UPLOAD_MB: String(UPLOAD_LIMIT_MB) },
  });
  base = server.url;
  const created = await http(`${base}/api/pipelines`, { method: 'POST', json: { name: 'Upscale', document: validDocument() } });
  expect(created.status).toBe(201);
  pipelineId = created.body.id;
  const doomed = await http(`${base}/api/pipelines`, { method: 'POST', json: { name: 'Doomed', document: validDocument() } });
  deletedPipelineId = doomed.body.id;
  expect((await http(`${base}/api/pipelines/${deletedPipelineId}`, { method: 'DELETE' })).status).toBe(204);
  const uploaded = await upload(base, await makePng(64, 48));
  expect(uploaded.status).toBe(201);
  assetId = uploaded.body.assetId;
  const run = await http<RunView>(`${base}/api/pipelines/${pipelineId}/runs?wait=true&timeout=60`, {
    method: 'POST',
    json: { inputs: { photo: assetId } },
  });
  expect(run.status).toBe(200);
  expect(run.body.status).toBe('succeeded');
  earlierRun = run.body;
  upscaleTaskId = run.body.nodes.find((n) => n.nodeId === 'up')!.taskId!;
});

afterAll(async () => {
  await server?.stop();
  await sim?.close();
});

interface Case {
  name: string;
  send: () => Promise<HttpResult>;
  status: number;
  /** Every one must appear in the error message (or in a problem's message/field/nodeId). */
  mentions: (string | RegExp)[];
  field?: string;
  nodeId?: string;
}

const post = (path: string, json: unknown) => http(`${base}${path}`, { method: 'POST', json });
const trigger = (inputs: unknown, query = '') => post(`/api/pipelines/${pipelineId}/runs${query}`, { inputs });

function webhook(body: string, headers: Record<string, string>) {
  return http(`${base}/api/webhooks/freepik`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
}
function signed(body: string, id = `msg_${randomUUID()}`, timestamp = Math.floor(Date.now() / 1000), secret = SECRET) {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, id, timestamp, body) };
}
const taskBody = () => JSON.stringify({ task_id: upscaleTaskId, status: 'COMPLETED', generated: [] });

const CASES: Case[] = [
  // Bodies that are not what the route reads
  { name: 'bad JSON', send: () => http(`${base}/api/pipelines`, { method: 'POST', body: '{"name": "x",', headers: { 'content-type': 'application/json' } }), status: 400, mentions: [/not valid JSON/] },
  { name: 'empty JSON body', send: () => http(`${base}/api/pipelines`, { method: 'POST', body: '', headers: { 'content-type': 'application/json' } }), status: 400, mentions: [/empty/] },
  { name: 'body that is not JSON', send: () => http(`${base}/api/pipelines`, { method: 'POST', body: 'name=x', headers: { 'content-type': 'text/plain' } }), status: 415, mentions: [/application\/json/] },
  { name: 'missing pipeline name', send: () => post('/api/pipelines', { document: validDocument() }), status: 400, mentions: ['name', /required/], field: 'name' },
  { name: 'unknown top-level field', send: () => post('/api/pipelines', { name: 'x', document: validDocument(), colour: 'red' }), status: 400, mentions: ['colour'] },
  { name: 'PUT with nothing to change', send: () => http(`${base}/api/pipelines/${pipelineId}`, { method: 'PUT', json: {} }), status: 400, mentions: [/name, a document/] },
  // Unknown things and malformed ids
  { name: 'unknown pipeline', send: () => http(`${base}/api/pipelines/${randomUUID()}`), status: 404, mentions: [/Pipeline .* does not exist/], field: 'id' },
  { name: 'deleted pipeline', send: () => http(`${base}/api/pipelines/${deletedPipelineId}`), status: 404, mentions: [/does not exist \(or was deleted\)/] },
  { name: 'trigger of an unknown pipeline', send: () => post(`/api/pipelines/${randomUUID()}/runs`, { inputs: {} }), status: 404, mentions: [/Pipeline/] },
  { name: 'pipeline id that is not a UUID', send: () => http(`${base}/api/pipelines/12345`), status: 400, mentions: ['params.id', 'UUID'], field: 'params.id' },
  { name: 'unknown version', send: () => http(`${base}/api/pipelines/${pipelineId}?version=99`), status: 404, mentions: ['version 99', /latest is 1/], field: 'version' },
  { name: 'unknown run', send: () => http(`${base}/api/runs/${randomUUID()}`), status: 404, mentions: [/Run .* does not exist/] },
  { name: 'run id that is not a UUID', send: () => http(`${base}/api/runs/latest`), status: 400, mentions: ['params.id'] },
  { name: 'cancel of an unknown run', send: () => post(`/api/runs/${randomUUID()}/cancel`, undefined), status: 404, mentions: [/does not exist/] },
  { name: 'events of an unknown run', send: () => http(`${base}/api/runs/${randomUUID()}/events`), status: 404, mentions: [/does not exist/] },
  { name: 'unknown asset', send: () => http(`${base}/api/assets/${randomUUID()}`), status: 404, mentions: [/Asset .* does not exist/] },
  { name: 'asset id that is not a UUID', send: () => http(`${base}/api/assets/..%2F..%2Fetc%2Fpasswd`), status: 400, mentions: ['params.id'] },
  { name: 'unknown template', send: () => post('/api/templates/old-films/pipelines', {}), status: 404, mentions: ['old-films', 'photo-restoration'] },
  { name: 'unknown API route', send: () => http(`${base}/api/pipelinez`), status: 404, mentions: ['/api/pipelinez'] },
  // Invalid documents: every problem, with node and field
  {
    name: 'document with an unknown node type and a dangling link',
    send: () => {
      const doc = validDocument();
      doc.nodes[1]!.type = 'freepik.time-machine';
      doc.edges.push({ id: 'e3', source: 'ghost', sourceHandle: 'image', target: 'out', targetHandle: 'value' });
      return post('/api/pipelines', { name: 'broken', document: doc });
    },
    status: 400,
    mentions: ['freepik.time-machine', 'ghost'],
    nodeId: 'up',
  },
  {
    name: 'document with an out-of-range param',
    send: () => {
      const doc = validDocument();
      doc.nodes[1]!.params = { scale_factor: 99 };
      return post('/api/pipelines', { name: 'too big', document: doc });
    },
    status: 400,
    mentions: ['scale_factor'],
    nodeId: 'up',
  },
  {
    name: 'document with a cycle',
    send: () => {
      const doc = validDocument();
      doc.nodes.push({ id: 'up2', type: 'freepik.upscaler-precision-v2', params: {}, position: { x: 0, y: 0 } });
      doc.edges[0] = { id: 'e1', source: 'up2', sourceHandle: 'image', target: 'up', targetHandle: 'image' };
      doc.edges.push({ id: 'e4', source: 'up', sourceHandle: 'image', target: 'up2', targetHandle: 'image' });
      return post('/api/pipelines', { name: 'loop', document: doc });
    },
    status: 400,
    mentions: [/up.*up2|up2.*up/],
  },
  {
    name: 'document without an output, saved with PUT',
    send: () => {
      const doc = validDocument();
      doc.nodes.pop();
      doc.edges.pop();
      return http(`${base}/api/pipelines/${pipelineId}`, { method: 'PUT', json: { document: doc } });
    },
    status: 400,
    mentions: [/no Output node/],
  },
  { name: 'document that is not a graph', send: () => post('/api/pipelines/import', { document: { nodes: 'all of them' } }), status: 400, mentions: ['document.nodes', 'document.edges'] },
  // REST trigger inputs
  { name: 'missing input', send: () => trigger({}), status: 400, mentions: ['photo', /required/], field: 'photo', nodeId: 'in' },
  { name: 'asset id that was never uploaded', send: () => trigger({ photo: randomUUID() }), status: 400, mentions: ['photo', /does not exist/, 'POST /api/assets'], field: 'photo', nodeId: 'in' },
  { name: 'extra input', send: () => trigger({ photo: assetId, caption: 'hi' }), status: 400, mentions: ['caption', /not an input/] },
  { name: 'input of the wrong type', send: () => trigger({ photo: 42 }), status: 400, mentions: ['photo', /asset id/] },
  { name: 'javascript: URL as image', send: () => trigger({ photo: 'javascript:alert(1)' }), status: 400, mentions: ['photo', 'javascript'] },
  { name: 'file: URL as image', send: () => trigger({ photo: 'file:///etc/passwd' }), status: 400, mentions: ['photo', 'file'] },
  { name: 'loopback URL as image', send: () => trigger({ photo: 'http://127.0.0.1:5432/x.png' }), status: 400, mentions: ['photo', /private|loopback/] },
  { name: 'cloud metadata URL as image', send: () => trigger({ photo: 'http://169.254.169.254/latest/meta-data' }), status: 400, mentions: ['photo', '169.254.169.254'] },
  { name: 'private-network URL as image', send: () => trigger({ photo: 'https://10.1.2.3/photo.jpg' }), status: 400, mentions: ['photo', '10.1.2.3'] },
  { name: 'localhost name as image', send: () => trigger({ photo: 'http://localhost/photo.jpg' }), status: 400, mentions: ['photo', 'localhost'] },
  { name: 'data URI that is not an image', send: () => trigger({ photo: 'data:text/html;base64,PGgxPmhpPC9oMT4=' }), status: 400, mentions: ['photo', 'data:image'] },
  { name: 'version out of range', send: () => post(`/api/pipelines/${pipelineId}/runs`, { inputs: { photo: assetId }, version: 0 }), status: 400, mentions: ['version'], field: 'version' },
  { name: 'inputs that are not an object', send: () => post(`/api/pipelines/${pipelineId}/runs`, { inputs: ['a'] }), status: 400, mentions: ['inputs'] },
  { name: 'wait flag that is not a boolean', send: () => trigger({ photo: assetId }, '?wait=maybe'), status: 400, mentions: ['query.wait'] },
  { name: 'wait timeout over the cap', send: () => trigger({ photo: assetId }, '?wait=true&timeout=100000'), status: 400, mentions: ['query.timeout', /at most/] },
  { name: 'history page size out of range', send: () => http(`${base}/api/runs?limit=1000`), status: 400, mentions: ['query.limit'] },
  { name: 'history filter with a bad pipeline id', send: () => http(`${base}/api/runs?pipelineId=abc`), status: 400, mentions: ['query.pipelineId'] },
  // Uploads
  { name: 'upload that is not an image', send: () => upload(base, new TextEncoder().encode('#!/bin/sh\necho hi\n'), 'photo.png', 'image/png'), status: 415, mentions: [/image/i] },
  { name: 'upload over the size limit', send: async () => upload(base, new Uint8Array(UPLOAD_LIMIT_MB * 1024 * 1024 + 10), 'huge.png'), status: 413, mentions: [`${UPLOAD_LIMIT_MB} MB`], field: 'file' },
  {
    name: 'upload without a file',
    send: () => {
      const form = new FormData();
      form.append('note', 'no file here');
      return http(`${base}/api/assets`, { method: 'POST', body: form });
    },
    status: 400,
    mentions: [/no file/],
    field: 'file',
  },
  { name: 'upload sent as JSON', send: () => post('/api/assets', { file: 'iVBORw0KGgo=' }), status: 415, mentions: ['multipart/form-data'] },
  // Webhooks
  { name: 'webhook with a forged signature', send: () => webhook(taskBody(), signed(taskBody(), undefined, undefined, 'not-the-secret')), status: 401, mentions: [/signature/i] },
  { name: 'webhook without signature headers', send: () => webhook(taskBody(), {}), status: 401, mentions: [/webhook/i] },
  { name: 'webhook with a stale timestamp', send: () => webhook(taskBody(), signed(taskBody(), undefined, Math.floor(Date.now() / 1000) - 3600)), status: 401, mentions: [/timestamp/i] },
  {
    name: 'webhook whose body was changed after signing',
    send: () => webhook(taskBody().replace('COMPLETED', 'FAILED'), signed(taskBody())),
    status: 401,
    mentions: [/signature/i],
  },
];

function allText(body: any): string {
  const e = body?.error ?? {};
  return [e.message, e.field, e.nodeId, ...(e.problems ?? []).flatMap((p: any) => [p.message, p.field, p.nodeId])].filter(Boolean).join(' | ');
}

describe('bad requests get a clear 4xx', () => {
  test(`there are at least 30 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  test.each(CASES)('$name → $status', async (c) => {
    const response = await c.send();
    expect(response.status, response.text).toBe(c.status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body.error.code).toEqual(expect.any(String));
    expect(response.body.error.message.length).toBeGreaterThan(10);
    const text = allText(response.body);
    for (const m of c.mentions) {
      if (typeof m === 'string') expect(text, response.text).toContain(m);
      else expect(text, response.text).toMatch(m);
    }
    if (c.field) expect([response.body.error.field, ...(response.body.error.problems ?? []).map((p: any) => p.field)]).toContain(c.field);
    if (c.nodeId) expect([response.body.error.nodeId, ...(response.body.error.problems ?? []).map((p: any) => p.nodeId)]).toContain(c.nodeId);
  });

  test('a replayed webhook is refused', async () => {
    const body = taskBody();
    const headers = signed(body);
    const first = await webhook(body, headers);
    expect(first.status, first.text).toBe(204);
    const replay = await webhook(body, headers);
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toMatch(/replay|already/i);
  });

  test('afterwards the server is healthy and the earlier run is intact', async () => {
    const health = await http(`${base}/api/health`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    const run = await http<RunView>(`${base}/api/runs/${earlierRun.id}`);
    expect(run.status).toBe(200);
    expect(run.body.status).toBe('succeeded');
    expect(run.body.outputs).toEqual(earlierRun.outputs);
    expect(run.body.nodes.map((n) => [n.nodeId, n.status, n.taskId])).toEqual(earlierRun.nodes.map((n) => [n.nodeId, n.status, n.taskId]));
    const image = run.body.outputs!.image as { url: string };
    expect((await fetch(`${base}${image.url}`)).status).toBe(200);
    // And it still runs pipelines.
    const again = await trigger({ photo: assetId }, '?wait=true&timeout=60');
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('succeeded');
  });
});

describe('access control', () => {
  let guarded: TestServer;
  let storedToken: string;
  const ENV_TOKEN = `tok_${randomBytes(20).toString('hex')}`;

  beforeAll(async () => {
    guarded = await startTestServer({ simulator: sim, config: { freepikApiKey: KEY, requireToken: true, apiToken: ENV_TOKEN } });
    storedToken = (await guarded.app.services.tokens.create('ci')).token;
  });
  afterAll(async () => {
    await guarded?.stop();
  });

  test('API calls without a token → 401 saying how to send one', async () => {
    const r = await http(`${guarded.url}/api/pipelines`);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
    expect(r.body.error.message).toMatch(/Authorization: Bearer/);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  test('a REST trigger without a token → 401', async () => {
    const r = await http(`${guarded.url}/api/pipelines/${randomUUID()}/runs`, { method: 'POST', json: { inputs: {} } });
    expect(r.status).toBe(401);
  });

  test('a wrong token → 401; the configured and the stored token → 200', async () => {
    const wrong = await http(`${guarded.url}/api/pipelines`, { headers: { authorization: 'Bearer nope-nope-nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toMatch(/not valid/);
    const malformed = await http(`${guarded.url}/api/pipelines`, { headers: { authorization: `Basic ${ENV_TOKEN}` } });
    expect(malformed.status).toBe(401);
    const env = await http(`${guarded.url}/api/pipelines`, { headers: { authorization: `Bearer ${ENV_TOKEN}` } });
    expect(env.status).toBe(200);
    const stored = await http(`${guarded.url}/api/pipelines`, { headers: { authorization: `Bearer ${storedToken}` } });
    expect(stored.status).toBe(200);
  });

  test('health, asset files, webhooks (signed instead) and the editor need no token', async () => {
    expect((await http(`${guarded.url}/api/health`)).status).toBe(200);
    const up = await upload(guarded.url, await makePng(8, 8), 'tiny.png', 'image/png', { authorization: `Bearer ${ENV_TOKEN}` });
    expect(up.status).toBe(201);
    expect((await fetch(`${guarded.url}${up.body.url}`)).status).toBe(200);
    const hook = await http(`${guarded.url}/api/webhooks/freepik`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(hook.status).toBe(401);
    expect(hook.body.error.code).toBe('webhook_rejected');
    expect((await fetch(`${guarded.url}/`)).status).toBe(200);
    expect((await fetch(`${guarded.url}/docs/json`)).status).toBe(200);
  });

  test('a short PIKFLOW_API_TOKEN is refused at start-up', async () => {
    const config = loadConfig({ PORT: '0', PIKFLOW_API_TOKEN: 'letmein', LOG_LEVEL: 'silent' });
    await expect(buildApp({ config, simulator: sim })).rejects.toThrow(/PIKFLOW_API_TOKEN is too short/);
  });

  test('an exposed HOST without any token refuses to start, with the reason', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pikflow-exposed-'));
    try {
      const config = loadConfig({ HOST: '0.0.0.0', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
      await expect(buildApp({ config: { ...config, freepikApiKey: KEY }, simulator: sim })).rejects.toThrow(/PIKFLOW_API_TOKEN/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
