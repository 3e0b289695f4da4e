/**
 * `npm start` and `npm run worker` run one bundled JavaScript file each (scripts/bundle.mjs), not
 * TypeScript through tsx. What a bundle can break is what is found at run time rather than imported:
 * migrations, the simulator's fixtures, PGlite's WASM, sharp's native module, package.json. So each
 * bundle is built here, started as its own process, and made to do real work: the server (embedded
 * PGlite, its own simulator) runs the Photo restoration template; the worker (PostgreSQL) executes a
 * run another engine started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '@pikflow/db';
import { createEngine } from '@pikflow/engine';
import { startSimulator } from '@pikflow/freepik-sim';
import { engineConfigFor, quietLogger, seedPipeline, smallPng } from './support/engine-harness.ts';
import { freshDatabase, tempDir } from './support/test-db.ts';
import { http, makePng, upload, waitForRun } from './server-support.ts';

const root = join(import.meta.dirname, '..');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

function build(target: 'server' | 'worker'): string {
  const entry = target === 'server' ? 'server/src/main.ts' : 'packages/engine/src/bin/worker.ts';
  const outfile = join(root, 'tests', '.artifacts', 'bundles', `${target}.${process.pid}.mjs`);
  const built = spawnSync(process.execPath, ['scripts/bundle.mjs', entry, outfile], { cwd: root, encoding: 'utf8' });
  expect(built.stderr).toBe('');
  expect(built.status).toBe(0);
  return outfile;
}

/** Starts `node <bundle>` as `npm start` does and collects its JSON log lines. */
function start(bundle: string, env: Record<string, string>): { lines: Record<string, unknown>[]; exited: Promise<number | null>; child: ChildProcess } {
  const { FREEPIK_API_KEY: _key, DATABASE_URL: _db, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--enable-source-maps', bundle], { cwd: root, env: { ...inherited, LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part));
      } catch {
        lines.push({ text: part });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => lines.push({ stderr: chunk.toString() }));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { lines, exited, child };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the bundled processes', () => {
  it('npm start: the server bundle starts on embedded PGlite with its simulator and runs the Photo restoration template', { timeout: 120_000 }, async () => {
    const bundle = build('server');
    const dataDir = tempDir('pikflow-bundle-');
    const port = await freePort();
    const server = start(bundle, { PORT: String(port), DATA_DIR: dataDir });
    const base = `http://127.0.0.1:${port}`;
    const running = await until('the "Pikflow is running" line', () => server.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('Pikflow is running')));
    expect(running).toMatchObject({ mode: 'simulator', database: 'pglite', url: base });

    const health = await http(`${base}/api/health`);
    expect(health.body).toMatchObject({ status: 'ok', mode: 'simulator', database: 'pglite' });
    const created = await http(`${base}/api/templates/photo-restoration/pipelines`, { method: 'POST', json: { name: 'bundled' } });
    expect(created.status).toBe(201);
    const uploaded = await upload(base, await makePng(40, 30), 'old.png');
    expect(uploaded.status).toBe(201);
    const trigger = await http(`${base}/api/pipelines/${created.body.id}/runs`, { method: 'POST', json: { inputs: { photo: uploaded.body.assetId } } });
    expect(trigger.status).toBe(202);
    const run = await waitForRun(base, trigger.body.runId, 90_000);
    expect(run.status).toBe('succeeded');
    expect(run.outputs?.restored_image).toMatchObject({ width: 40, height: 30 });
    expect(run.outputs?.upscaled_image).toMatchObject({ width: 160, height: 120 }); // Precision V2 ×4
    expect(run.outputs?.upscaled_url).toEqual(expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/file\/uploads\//));

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('npm run worker: the worker bundle takes the jobs of a run on PostgreSQL and finishes it', { timeout: 120_000 }, async () => {
    const bundle = build('worker');
    const sim = await startSimulator({ latencyMs: 50, rateLimits: false, seed: 7 });
    const fresh = await freshDatabase('postgres');
    const handle = await createDb(fresh.options);
    const engine = createEngine({ config: engineConfigFor(sim, fresh.dataDir, { runWorkers: false }), db: handle, logger: quietLogger() });
    try {
      await engine.start();
      const worker = start(bundle, { DATABASE_URL: fresh.databaseUrl!, DATA_DIR: fresh.dataDir, FREEPIK_API_BASE: sim.url, FILE_SERVICE_URL: sim.url, POLL_INITIAL_DELAY_MS: '100', POLL_MAX_DELAY_MS: '500' });
      await until('"worker ready"', () => worker.lines.find((l) => l.msg === 'worker ready'));
      const { dataUri } = await smallPng();
      const { runId } = await engine.startRun({ document: seedPipeline(2), inputs: { photo: dataUri }, cache: { mode: 'off' } });
      const run = await until('the run to finish', async () => {
        const view = await engine.getRun(runId);
        return view && ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
      });
      expect(run.error).toBeUndefined();
      expect(run.status).toBe('succeeded');
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      await engine.stop();
      await handle.close();
      await fresh.drop();
      await sim.close();
    }
  });
});
