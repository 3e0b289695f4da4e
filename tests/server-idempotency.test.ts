/**
 * Idempotency-Key on the REST trigger (issue 10, item 7): a client that retries after a lost
 * 202 gets the run its first request started, not a second paid run; the same key with another
 * body is refused with 422. The key is stored with the run, so it holds across a restart, and
 * concurrent twins still start one run. On PGlite and PostgreSQL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, makePng, startTestServer, upload, type TestServer } from './server-support.ts';
import { DB_KINDS, freshDatabase, type FreshDatabase } from './support/test-db.ts';

describe.each(DB_KINDS)('Idempotency-Key on %s', (kind) => {
  const KEY = `idem_${randomBytes(16).toString('hex')}`;
  let sim: RunningSimulator;
  let database: FreshDatabase;
  let server: TestServer;
  const start = () => startTestServer({ simulator: sim, config: { freepikApiKey: KEY, databaseUrl: database.databaseUrl, dataDir: database.dataDir } });

  beforeAll(async () => {
    database = await freshDatabase(kind);
    sim = await startSimulator({ apiKeys: [KEY], latencyMs: 100 });
    server = await start();
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.close();
    await database?.drop();
  });

  it('same key + same body → the same run; different body → 422; still so after a restart', async () => {
    const created = await http(`${server.url}/api/templates/photo-restoration/pipelines`, { method: 'POST' });
    expect(created.status).toBe(201);
    const asset = (await upload(server.url, await makePng(40, 30))).body.assetId as string;
    const key = randomUUID();
    const trigger = (inputs: Record<string, unknown>, k = key) =>
      http(`${server.url}/api/pipelines/${created.body.id}/runs`, { method: 'POST', headers: { 'idempotency-key': k }, json: { inputs } });

    const [first, twin] = await Promise.all([trigger({ photo: asset }), trigger({ photo: asset })]);
    expect(first.status, first.text).toBe(202);
    expect(twin.status, twin.text).toBe(202);
    expect(twin.body.runId).toBe(first.body.runId);
    const again = await trigger({ photo: asset });
    expect(again.status).toBe(202);
    expect(again.body.runId).toBe(first.body.runId);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const other = await trigger({ photo: asset, extra: 1 });
    expect(other.status, other.text).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');

    // Durable: a restarted server still knows the key.
    await server.stop();
    server = await start();
    const afterRestart = await trigger({ photo: asset });
    expect(afterRestart.body.runId).toBe(first.body.runId);

    // A new key is a new run; one run in the history per key.
    const fresh = await trigger({ photo: asset }, randomUUID());
    expect(fresh.body.runId).not.toBe(first.body.runId);
    const history = await http(`${server.url}/api/runs?pipelineId=${created.body.id}`);
    expect(history.body.runs).toHaveLength(2);
  });
});
