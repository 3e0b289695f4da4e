/**
 * A simulator + database + engine, wired the way the server wires them, for
 * engine tests and the benchmark. Everything binds to 127.0.0.1 on free ports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import pino, { type Logger } from 'pino';
import { createDb, type DbHandle } from '@pikflow/db';
import { createEngine, engineConfigFromEnv, type EngineConfig, type PikflowEngine } from '@pikflow/engine';
import { startSimulator, type RunningSimulator, type StartOptions } from '@pikflow/freepik-sim';
import type { PipelineDocument } from '@pikflow/pipeline';
import { freshDatabase, type DbKind, type FreshDatabase } from './test-db.ts';

/** Input node → Gemini → Precision V2 ×4 → file-service upload → outputs (the seed pipeline). */
/** photo (input.image) → one node → an output named `outputName`: the smallest pipeline around a node. */
export function oneNodePipeline(node: { id: string; type: string; params: Record<string, unknown>; imagePort: string; outputPort: string }, outputName: string): PipelineDocument {
  return {
    version: 1,
    nodes: [
      { id: 'photo', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
      { id: node.id, type: node.type, params: node.params, position: { x: 1, y: 0 } },
      { id: outputName, type: 'output', params: { name: outputName }, position: { x: 2, y: 0 } },
    ],
    edges: [
      { id: 'e1', source: 'photo', sourceHandle: 'image', target: node.id, targetHandle: node.imagePort },
      { id: 'e2', source: node.id, sourceHandle: node.outputPort, target: outputName, targetHandle: 'value' },
    ],
  };
}

export function seedPipeline(scale = 4): PipelineDocument {
  return {
    version: 1,
    nodes: [
      { id: 'photo', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
      { id: 'restore', type: 'freepik.gemini-2-5-flash', params: { prompt: 'Restore this old photo' }, position: { x: 1, y: 0 } },
      { id: 'upscale', type: 'freepik.upscaler-precision-v2', params: { scale_factor: scale, flavor: 'photo' }, position: { x: 2, y: 0 } },
      { id: 'upload', type: 'storage.file-upload', params: {}, position: { x: 3, y: 0 } },
      { id: 'stored_url', type: 'output', params: { name: 'stored_url' }, position: { x: 4, y: 0 } },
      { id: 'image', type: 'output', params: { name: 'image' }, position: { x: 4, y: 1 } },
    ],
    edges: [
      { id: 'e1', source: 'photo', sourceHandle: 'image', target: 'restore', targetHandle: 'reference_images' },
      { id: 'e2', source: 'restore', sourceHandle: 'image', target: 'upscale', targetHandle: 'image' },
      { id: 'e3', source: 'upscale', sourceHandle: 'image', target: 'upload', targetHandle: 'image' },
      { id: 'e4', source: 'upload', sourceHandle: 'url', target: 'stored_url', targetHandle: 'value' },
      { id: 'e5', source: 'upscale', sourceHandle: 'image', target: 'image', targetHandle: 'value' },
    ],
  };
}

/** A small PNG (as a data URI) so image work is not what gets measured. */
export async function smallPng(width = 48, height = 32, seed = 0): Promise<{ dataUri: string; bytes: Buffer }> {
  const bytes = await sharp({
    create: { width, height, channels: 3, background: { r: (seed * 37) % 255, g: 120, b: 200 } },
  })
    .png()
    .toBuffer();
  return { bytes, dataUri: `data:image/png;base64,${bytes.toString('base64')}` };
}

export function quietLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

export interface Harness {
  sim: RunningSimulator;
  fresh: FreshDatabase;
  handle: DbHandle;
  engine: PikflowEngine;
  config: EngineConfig;
  /** Stops the engine and closes the database (keeps the simulator and the database). */
  stopEngine(): Promise<void>;
  /** A new engine over the same database (e.g. after stopEngine). */
  restartEngine(overrides?: Partial<EngineConfig>): Promise<PikflowEngine>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  kind: DbKind;
  sim?: StartOptions;
  /** Use this simulator instead of starting one. */
  existingSim?: RunningSimulator;
  config?: Partial<EngineConfig>;
  runWorkers?: boolean;
  logger?: Logger;
}

export function engineConfigFor(sim: RunningSimulator, dataDir: string, overrides: Partial<EngineConfig> = {}): EngineConfig {
  return engineConfigFromEnv(
    { DATA_DIR: dataDir },
    {
      freepik: { baseUrl: sim.url, apiKey: '' },
      fileServiceUrl: sim.url,
      poll: { initialDelayMs: 100, factor: 1.5, maxDelayMs: 1_000 },
      nodeTimeoutMs: 60_000,
      ...overrides,
    },
  );
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const sim = options.existingSim ?? (await startSimulator({ latencyMs: 100, rateLimits: false, seed: 42, ...options.sim }));
  const fresh = await freshDatabase(options.kind);
  const logger = options.logger ?? quietLogger();
  let handle = await createDb(fresh.options);
  let config = engineConfigFor(sim, fresh.dataDir, { runWorkers: options.runWorkers ?? true, ...options.config });
  let engine = createEngine({ config, db: handle, logger, workers: { pollingIntervalSeconds: 0.5 } });
  await engine.start();
  const harness: Harness = {
    sim,
    fresh,
    get handle() {
      return handle;
    },
    get engine() {
      return engine;
    },
    get config() {
      return config;
    },
    async stopEngine() {
      await engine.stop();
      await handle.close();
    },
    async restartEngine(overrides = {}) {
      handle = await createDb(fresh.options);
      config = { ...config, ...overrides };
      engine = createEngine({ config, db: handle, logger, workers: { pollingIntervalSeconds: 0.5 } });
      await engine.start();
      return engine;
    },
    async close() {
      await engine.stop().catch(() => {});
      await handle.close().catch(() => {});
      if (!options.existingSim) await sim.close();
      await fresh.drop();
    },
  };
  return harness;
}

export function tempDir(prefix = 'pikflow-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Engines sharing one database: on PostgreSQL two, standing for two worker processes; PGlite belongs to one process. */
export interface WorkerSet {
  engines: PikflowEngine[];
  handles: DbHandle[];
  close(): Promise<void>;
}

export async function startWorkers(sim: RunningSimulator, fresh: FreshDatabase, overrides: Partial<EngineConfig> = {}): Promise<WorkerSet> {
  const set: WorkerSet = {
    engines: [],
    handles: [],
    async close() {
      for (const engine of set.engines) await engine.stop().catch(() => {});
      for (const handle of set.handles) await handle.close().catch(() => {});
    },
  };
  for (let i = 0; i < (fresh.kind === 'postgres' ? 2 : 1); i++) {
    const handle = await createDb(fresh.options);
    const engine = createEngine({ config: engineConfigFor(sim, fresh.dataDir, overrides), db: handle, logger: quietLogger(), workers: { pollingIntervalSeconds: 0.5 } });
    await engine.start();
    set.handles.push(handle);
    set.engines.push(engine);
  }
  return set;
}

/** The most intervals open at one instant. */
export function maxOverlap(intervals: [number, number][]): number {
  const edges = intervals.flatMap(([start, end]) => [[start, 1] as const, [end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, delta] of edges) most = Math.max(most, (open += delta));
  return most;
}
