/**
 * Work is sent only once our own asset URLs answer (issue 10, item 2): the server starts its
 * engine after the socket is bound, and a submission Freepik refuses because it could not fetch
 * one of our asset URLs (this server restarting) is sent again later, a bounded number of times,
 * instead of failing the run as if the request were bad.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '@pikflow/engine';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import { seedPipeline, smallPng, startHarness, type Harness } from './support/engine-harness.ts';
import { startMiniServer, type MiniServer } from './support/mini-server.ts';
import { startTestServer } from './server-support.ts';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('own asset URLs', () => {
  it('the server starts its engine only after it listens', async () => {
    let answeredAtStart: boolean | undefined;
    const server = await startTestServer({
      engine: (input) => {
        const engine = createEngine(input);
        const wrapped: Engine = Object.create(engine);
        wrapped.start = async () => {
          answeredAtStart = await fetch(`http://127.0.0.1:${new URL(input.config.publicUrl!).port}/api/health`).then(
            (r) => r.ok,
            () => false,
          );
          return engine.start();
        };
        wrapped.stop = () => engine.stop();
        return wrapped;
      },
    });
    try {
      expect(answeredAtStart).toBe(true);
    } finally {
      await server.stop();
    }
  });

  describe('Freepik cannot fetch them for a while', () => {
    let sim: RunningSimulator;
    let h: Harness;
    let server: MiniServer | undefined;
    let port: number;
    beforeAll(async () => {
      sim = await startSimulator({ latencyMs: 100, rateLimits: false });
      port = await freePort();
      // PUBLIC_URL points at a port nobody listens on yet: the server "is restarting".
      h = await startHarness({ kind: 'pglite', existingSim: sim, config: { publicUrl: `http://127.0.0.1:${port}` } });
    });
    afterAll(async () => {
      await h?.close();
      await server?.close();
      await sim?.close();
    });

    it('re-sends the refused submission once the asset route answers, and the run succeeds', async () => {
      const input = await smallPng(12, 12);
      const { runId } = await h.engine.startRun({ document: seedPipeline(2), inputs: { photo: input.dataUri } });
      // Gemini is given our asset URL; the simulator's download fails and it answers 400: the node waits.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no waiting_for_assets event')), 30_000);
        const unsubscribe = h.engine.subscribe(runId, 0, (event) => {
          if (event.type === 'node.progress' && event.data?.status === 'waiting_for_assets') {
            clearTimeout(timer);
            unsubscribe();
            resolve();
          }
        });
      });
      server = await startMiniServer(() => h.engine, port);
      const run = await h.engine.waitForRun(runId, 60_000);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const restore = run.nodes.find((n) => n.nodeId === 'restore')!;
      expect(restore.attempt).toBeGreaterThanOrEqual(2);
    });
  });
});
