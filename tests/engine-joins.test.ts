/**
 * Lost joins (issue 10, item 1): two branches of a fan-in finishing at the same moment on two
 * database connections (two webhooks, or a server and a worker) must not both see the other
 * unfinished. Each iteration completes both branches concurrently; the join must be queued every
 * time. On PostgreSQL under READ COMMITTED this needs the node runs read after the run lock is
 * granted. PGlite has a single connection (its transactions never overlap), so this race is
 * PostgreSQL's alone.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, nodeRuns, type DbHandle } from '@pikflow/db';
import { createEngine, signWebhook, type PikflowEngine } from '@pikflow/engine';
import type { PipelineDocument } from '@pikflow/pipeline';
import { and, eq, inArray } from 'drizzle-orm';
import { freshDatabase, type FreshDatabase } from './support/test-db.ts';
import { engineConfigFor, quietLogger, smallPng } from './support/engine-harness.ts';

const SECRET = 'whsec-join-test-only';
const ITERATIONS = Number(process.env.JOIN_ITERATIONS ?? 25);

/** photo → a, b (two Gemini branches) → join (Gemini over both images) → result. */
const fanIn: PipelineDocument = {
  version: 1,
  nodes: [
    { id: 'photo', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
    { id: 'a', type: 'freepik.gemini-2-5-flash', params: { prompt: 'branch a' }, position: { x: 1, y: 0 } },
    { id: 'b', type: 'freepik.gemini-2-5-flash', params: { prompt: 'branch b' }, position: { x: 1, y: 1 } },
    { id: 'join', type: 'freepik.gemini-2-5-flash', params: { prompt: 'join' }, position: { x: 2, y: 0 } },
    { id: 'result', type: 'output', params: { name: 'result' }, position: { x: 3, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'photo', sourceHandle: 'image', target: 'a', targetHandle: 'reference_images' },
    { id: 'e2', source: 'photo', sourceHandle: 'image', target: 'b', targetHandle: 'reference_images' },
    { id: 'e3', source: 'a', sourceHandle: 'image', target: 'join', targetHandle: 'reference_images' },
    { id: 'e4', source: 'b', sourceHandle: 'image', target: 'join', targetHandle: 'reference_images' },
    { id: 'e5', source: 'join', sourceHandle: 'image', target: 'result', targetHandle: 'value' },
  ],
};

describe.each(['postgres'] as const)('fan-in on %s', (kind) => {
  let fresh: FreshDatabase;
  let handle: DbHandle;
  let engine: PikflowEngine;
  let files: http.Server;
  let fileUrl: string;
  beforeAll(async () => {
    const png = (await smallPng(8, 8)).bytes;
    files = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png));
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    fileUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/result.png`;
    fresh = await freshDatabase(kind);
    handle = await createDb(fresh.options);
    // No workers: this process only applies the two completions; the join's job stays queued.
    const config = engineConfigFor({ url: fileUrl } as never, fresh.dataDir, { runWorkers: false, publicUrl: 'http://127.0.0.1:9', webhookSecret: SECRET });
    engine = createEngine({ config, db: handle, logger: quietLogger() });
    await engine.start();
  });
  afterAll(async () => {
    await engine?.stop();
    await handle?.close();
    await fresh?.drop();
    await new Promise((resolve) => files?.close(resolve));
  });

  const webhook = (taskId: string) => {
    const rawBody = JSON.stringify({ task_id: taskId, status: 'COMPLETED', generated: [fileUrl] });
    const id = randomUUID();
    const ts = Math.floor(Date.now() / 1000);
    return { rawBody, headers: { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${signWebhook(SECRET, id, ts, rawBody)}` } };
  };

  it(`queues the join every time two branches finish at once (${ITERATIONS} runs)`, { timeout: 180_000 }, async () => {
    const input = await smallPng(8, 8);
    let lost = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const { runId } = await engine.startRun({ document: fanIn, inputs: { photo: input.dataUri } });
      // Both branches journaled as submitted, as after their POSTs.
      for (const nodeId of ['a', 'b']) {
        await handle.db
          .update(nodeRuns)
          .set({ status: 'submitted', submitState: 'submitted', taskId: `${runId}-${nodeId}`, submittedAt: new Date() })
          .where(and(eq(nodeRuns.runId, runId), eq(nodeRuns.nodeId, nodeId)));
      }
      await Promise.all(['a', 'b'].map((nodeId) => engine.acceptWebhook(webhook(`${runId}-${nodeId}`))));
      const rows = await handle.db.select().from(nodeRuns).where(and(eq(nodeRuns.runId, runId), inArray(nodeRuns.nodeId, ['a', 'b', 'join'])));
      const status = Object.fromEntries(rows.map((r) => [r.nodeId, r.status]));
      expect(status.a).toBe('succeeded');
      expect(status.b).toBe('succeeded');
      if (status.join !== 'queued') lost++;
    }
    expect(lost, `${lost} of ${ITERATIONS} joins were never queued`).toBe(0);
  });
});
