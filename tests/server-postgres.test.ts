/**
 * The same server on real PostgreSQL (DATABASE_URL): health says so, and the Photo
 * restoration template runs to its 4× output through the REST trigger.
 */
import { randomBytes } from 'node:crypto';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import type { RunView } from '@pikflow/pipeline';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { http, makePng, startTestServer, upload, type TestServer } from './server-support.ts';
import { freshDatabase, type FreshDatabase } from './support/test-db.ts';

const KEY = `pg_${randomBytes(16).toString('hex')}`;
let sim: RunningSimulator;
let database: FreshDatabase;
let server: TestServer;

beforeAll(async () => {
  database = await freshDatabase('postgres');
  sim = await startSimulator({ apiKeys: [KEY], latencyMs: 200 });
  server = await startTestServer({ simulator: sim, config: { freepikApiKey: KEY, databaseUrl: database.databaseUrl } });
});

afterAll(async () => {
  await server?.stop();
  await sim?.close();
  await database?.drop();
});

test('on PostgreSQL: health, template, upload, REST trigger with wait, 4× output', async () => {
  const base = server.url;
  expect((await http(`${base}/api/health`)).body).toMatchObject({ status: 'ok', database: 'postgres', mode: 'simulator' });
  const created = await http(`${base}/api/templates/photo-restoration/pipelines`, { method: 'POST' });
  expect(created.status).toBe(201);
  const uploaded = await upload(base, await makePng(100, 75));
  expect(uploaded.status).toBe(201);
  const run = await http<RunView>(`${base}/api/pipelines/${created.body.id}/runs?wait=true&timeout=120`, {
    method: 'POST',
    json: { inputs: { photo: uploaded.body.assetId } },
  });
  expect(run.status, run.text).toBe(200);
  expect(run.body.status).toBe('succeeded');
  const image = run.body.outputs!.upscaled_image as { url: string };
  const meta = await sharp(Buffer.from(await (await fetch(`${base}${image.url}`)).arrayBuffer())).metadata();
  expect({ width: meta.width, height: meta.height }).toEqual({ width: 400, height: 300 });
  const history = await http(`${base}/api/runs?pipelineId=${created.body.id}`);
  expect(history.body.runs.map((r: RunView) => r.id)).toEqual([run.body.id]);
});
