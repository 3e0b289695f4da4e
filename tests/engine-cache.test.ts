/**
 * The node-result cache on PGlite and PostgreSQL, against the simulator: a second identical run
 * pays for nothing, a changed param re-runs only that node and what depends on it, a re-roll
 * re-runs the node and its descendants, a retry after a failed upload runs only the upload, two
 * identical runs at once (two workers) submit each task once, and missing assets, expired entries
 * and a new definition version are misses. The catalog's policy end to end: a `cache: false` node
 * (LoRA training) always runs, a TTL node (stock search) is served within its TTL and not after,
 * and a definition version bump is a miss.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, nodeCache } from '@pikflow/db';
import { getNode } from '@pikflow/catalog';
import { createEngine, NodeCache, type PikflowEngine } from '@pikflow/engine';
import { startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import type { AssetRef, NodeRunView, PipelineDocument, RunEvent, RunView } from '@pikflow/pipeline';
import { and, eq, sql } from 'drizzle-orm';
import { DB_KINDS } from './support/test-db.ts';
import { quietLogger, seedPipeline, smallPng, startHarness, type Harness } from './support/engine-harness.ts';
import { startMiniServer, type MiniServer } from './support/mini-server.ts';
import { pipeline } from './support/pipeline-document.ts';
import { startUploadProxy, type UploadProxy } from './support/upload-proxy.ts';

const GEMINI = 'freepik.gemini-2-5-flash';
const UPSCALE = 'freepik.upscaler-precision-v2';
const HTTP_NODES = ['restore', 'upscale', 'upload'];

const node = (run: RunView, id: string): NodeRunView => run.nodes.find((n) => n.nodeId === id)!;

let sim: RunningSimulator;
let proxy: UploadProxy;
beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 150, rateLimits: false, seed: 12 });
  proxy = await startUploadProxy(sim.url);
});
afterAll(async () => {
  await proxy?.close();
  await sim?.close();
});

describe.each(DB_KINDS)('result cache on %s', (kind) => {
  let h: Harness;
  let photo: string;
  let first: RunView;
  beforeAll(async () => {
    h = await startHarness({ kind, existingSim: sim, config: { fileServiceUrl: proxy.url } });
    photo = (await smallPng(30, 20, kind === 'pglite' ? 1 : 2)).dataUri;
  });
  afterAll(async () => h?.close());

  /** Runs the pipeline and returns the finished run with what the simulator and the upload service saw. */
  async function run(document = seedPipeline(4), cache?: Parameters<PikflowEngine['startRun']>[0]['cache'], engine: PikflowEngine = h.engine) {
    sim.resetStats();
    const uploadsBefore = proxy.uploads;
    const { runId } = await engine.startRun({ document, inputs: { photo }, cache });
    const view = await engine.waitForRun(runId, 60_000);
    const stats = sim.stats();
    return { view, gemini: stats.submissions[GEMINI] ?? 0, upscale: stats.submissions[UPSCALE] ?? 0, total: stats.totals.submissions, uploads: proxy.uploads - uploadsBefore };
  }

  it('a second identical run makes no Freepik request: every node is cached, with the same output assets', async () => {
    const a = await run();
    expect(a.view.status, JSON.stringify(a.view.error)).toBe('succeeded');
    expect([a.gemini, a.upscale, a.uploads]).toEqual([1, 1, 1]);
    for (const id of HTTP_NODES) expect(node(a.view, id).status).toBe('succeeded');
    expect(a.view.usage).toMatchObject({ cachedNodes: 0, freepikSubmissions: 2 });
    first = a.view;

    const events: RunEvent[] = [];
    sim.resetStats();
    const { runId } = await h.engine.startRun({ document: seedPipeline(4), inputs: { photo } });
    const off = h.engine.subscribe(runId, 0, (e) => events.push(e));
    const b = await h.engine.waitForRun(runId, 60_000);
    expect(b.status, JSON.stringify(b.error)).toBe('succeeded');
    expect(sim.stats().totals.submissions).toBe(0);
    expect(sim.stats().totals.polls).toBe(0);
    for (const id of HTTP_NODES) {
      expect(node(b, id).status, id).toBe('cached');
      expect(node(b, id).cachedFrom).toEqual({ runId: first.id, nodeRunId: expect.any(String) });
      expect(node(b, id).attempt).toBe(0);
    }
    expect(b.usage).toEqual({ cachedNodes: 3, freepikSubmissions: 0, freepikRequests: 0 });
    expect((b.outputs!.image as AssetRef).assetId).toBe((first.outputs!.image as AssetRef).assetId);
    expect(b.outputs!.stored_url).toBe(first.outputs!.stored_url);

    // The live events say so too: node.completed carries status 'cached' and the source run.
    await new Promise((r) => setTimeout(r, 100));
    off();
    const completed = events.filter((e) => e.type === 'node.completed' && HTTP_NODES.includes(e.nodeId!));
    expect(completed).toHaveLength(3);
    for (const e of completed) expect(e.data).toMatchObject({ status: 'cached', cachedFrom: { runId: first.id } });
    expect(events.some((e) => e.type === 'node.submitted')).toBe(false);
  });

  it("changing only Precision V2's scale_factor submits Precision V2 and the upload; Gemini stays cached", async () => {
    const c = await run(seedPipeline(2));
    expect(c.view.status, JSON.stringify(c.view.error)).toBe('succeeded');
    expect([c.gemini, c.upscale, c.total, c.uploads]).toEqual([0, 1, 1, 1]);
    expect(node(c.view, 'restore').status).toBe('cached');
    expect(node(c.view, 'upscale').status).toBe('succeeded');
    expect(node(c.view, 'upload').status).toBe('succeeded');
    expect((c.view.outputs!.image as AssetRef).width).toBe(60);
  });

  it('re-rolling Gemini runs Gemini and everything downstream, nothing upstream', async () => {
    const r = await run(seedPipeline(4), { reroll: ['restore'] });
    expect(r.view.status, JSON.stringify(r.view.error)).toBe('succeeded');
    expect([r.gemini, r.upscale, r.uploads]).toEqual([1, 1, 1]);
    for (const id of HTTP_NODES) expect(node(r.view, id).status, id).toBe('succeeded');
    // Upstream of Gemini is the photo: taken as it is, nothing downloaded or submitted for it.
    expect(node(r.view, 'photo').status).toBe('succeeded');

    // The original variation is still cached for the document without the nonce.
    const again = await run();
    expect(again.total).toBe(0);
    const image = (v: RunView) => (node(v, 'restore').outputs!.image as AssetRef).assetId;
    expect(image(again.view)).toBe(image(first));
    expect(image(r.view)).not.toBe(image(first));
  });

  it('a run failed at the upload step, retried: Gemini and Precision V2 are cached, only the upload runs', async () => {
    const doc = seedPipeline(3);
    proxy.fail = true;
    let failed: Awaited<ReturnType<typeof run>>;
    try {
      failed = await run(doc, { mode: 'refresh' });
    } finally {
      proxy.fail = false;
    }
    expect(failed.view.status).toBe('failed');
    expect(failed.view.error).toMatchObject({ nodeId: 'upload', code: 'upstream_rejected' });
    expect([failed.gemini, failed.upscale]).toEqual([1, 1]);

    sim.resetStats();
    const uploadsBefore = proxy.uploads;
    const { runId } = await h.engine.retryRun(failed.view.id);
    const retried = await h.engine.waitForRun(runId, 60_000);
    expect(retried.status, JSON.stringify(retried.error)).toBe('succeeded');
    expect(sim.stats().totals.submissions).toBe(0);
    expect(proxy.uploads - uploadsBefore).toBe(1);
    expect(node(retried, 'restore')).toMatchObject({ status: 'cached', cachedFrom: { runId: failed.view.id } });
    expect(node(retried, 'upscale')).toMatchObject({ status: 'cached', cachedFrom: { runId: failed.view.id } });
    expect(node(retried, 'upload').status).toBe('succeeded');
    expect(retried.usage).toMatchObject({ cachedNodes: 2, freepikSubmissions: 0 });
    // Same version and inputs.
    expect(retried.inputs).toEqual(failed.view.inputs);
    await expect(h.engine.retryRun('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('two identical runs at once on two workers submit one task per node in total', async () => {
    photo = (await smallPng(26, 18, kind === 'pglite' ? 3 : 4)).dataUri;
    // PostgreSQL: a second engine over the same database; PGlite (one process) shares one engine's workers.
    const second = kind === 'postgres' ? createEngine({ config: h.config, db: await createDb(h.fresh.options), logger: quietLogger(), workers: { pollingIntervalSeconds: 0.5 } }) : h.engine;
    if (second !== h.engine) await second.start();
    try {
      sim.resetStats();
      const uploadsBefore = proxy.uploads;
      const [x, y] = await Promise.all([h.engine, second].map((e) => e.startRun({ document: seedPipeline(4), inputs: { photo } })));
      const views = await Promise.all([h.engine.waitForRun(x!.runId, 60_000), second.waitForRun(y!.runId, 60_000)]);
      for (const v of views) expect(v.status, JSON.stringify(v.error)).toBe('succeeded');
      const stats = sim.stats();
      expect(stats.submissions[GEMINI]).toBe(1);
      expect(stats.submissions[UPSCALE]).toBe(1);
      expect(proxy.uploads - uploadsBefore).toBe(1);
      // Both runs end with the same assets; each node ran in exactly one of them.
      expect((views[0]!.outputs!.image as AssetRef).assetId).toBe((views[1]!.outputs!.image as AssetRef).assetId);
      for (const id of HTTP_NODES) expect(views.map((v) => node(v, id).status).sort(), id).toEqual(['cached', 'succeeded']);
    } finally {
      if (second !== h.engine) await second.stop();
    }
  });

  it('an entry whose assets are gone, or whose time is up, is a miss and is produced again', async () => {
    // Gemini's cached output file removed from the asset store: Gemini is submitted again, no error.
    const cached = await run();
    expect(node(cached.view, 'restore').status).toBe('cached');
    const gemini = node(cached.view, 'restore').outputs!.image as AssetRef;
    const stored = await h.engine.assets.get(gemini.assetId);
    rmSync(h.engine.assets.pathOf(stored!));
    const a = await run();
    expect(a.view.status, JSON.stringify(a.view.error)).toBe('succeeded');
    expect(a.gemini).toBe(1);

    // Every entry expired: the whole pipeline runs again.
    await h.handle.db.update(nodeCache).set({ expiresAt: sql`now() - interval '1 second'` });
    const b = await run();
    expect(b.view.status, JSON.stringify(b.view.error)).toBe('succeeded');
    expect([b.gemini, b.upscale, b.uploads]).toEqual([1, 1, 1]);

    // cache: 'off' neither reads nor writes the cache.
    const c = await run(seedPipeline(4), { mode: 'off' });
    expect([c.gemini, c.upscale, c.uploads]).toEqual([1, 1, 1]);
  });

  it('refresh on one node re-runs it and everything downstream ("run from here")', async () => {
    const r = await run(seedPipeline(4), { refresh: ['upscale'] });
    expect(r.view.status, JSON.stringify(r.view.error)).toBe('succeeded');
    expect([r.gemini, r.upscale, r.uploads]).toEqual([0, 1, 1]);
    expect(node(r.view, 'restore').status).toBe('cached');
    await expect(h.engine.startRun({ document: seedPipeline(4), inputs: { photo }, cache: { refresh: ['nope'] } })).rejects.toMatchObject({ code: 'invalid_input', field: 'refresh' });
  });
});

const SEARCH = 'freepik.stock-resources-search';
const TRAIN = 'freepik.lora-train-style';

/** Stock search (TTL 1 h in the catalog) → Train LoRA style (`cache: false`) → its task id. */
const searchAndTrain = (): PipelineDocument =>
  pipeline(
    [
      ['search', SEARCH, { term: 'portrait', limit: 8 }],
      ['train', TRAIN, { name: 'cache-policy', quality: 'medium' }],
      ['task', 'output', { name: 'training' }],
    ],
    ['search.images -> train.images', 'train.task_id -> task.value'],
  );

describe.each(DB_KINDS)('catalog cache policy on %s', (kind) => {
  let h: Harness;
  let assets: MiniServer;
  beforeAll(async () => {
    // Training takes image URLs: the engine hands the search's re-hosted previews over at PUBLIC_URL.
    assets = await startMiniServer(() => h.engine);
    h = await startHarness({ kind, existingSim: sim, config: { publicUrl: assets.url } });
  });
  afterAll(async () => {
    await h?.close();
    await assets?.close();
  });

  async function run() {
    sim.resetStats();
    const { runId } = await h.engine.startRun({ document: searchAndTrain(), inputs: {} });
    const view = await h.engine.waitForRun(runId, 60_000);
    expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
    return { view, trainings: sim.stats().submissions[TRAIN] ?? 0 };
  }

  /** The ready entries of a node type: definition version, TTL in seconds (stored to expiry), expired yet. */
  const entries = async (nodeType: string) => {
    const rows = await h.handle.db
      .select({ version: nodeCache.definitionVersion, storedAt: nodeCache.storedAt, expiresAt: nodeCache.expiresAt, now: sql<string>`now()` })
      .from(nodeCache)
      .where(and(eq(nodeCache.nodeType, nodeType), eq(nodeCache.state, 'ready')))
      .orderBy(nodeCache.storedAt);
    return rows.map((r) => ({
      definition_version: r.version,
      ttl: r.expiresAt && r.storedAt ? Math.round((+new Date(r.expiresAt) - +new Date(r.storedAt)) / 1000) : null,
      expired: r.expiresAt ? +new Date(r.expiresAt) <= +new Date(r.now) : false,
    }));
  };

  it('a cache:false node (LoRA training) runs again on an identical run; the TTL node before it is served', async () => {
    const a = await run();
    expect(node(a.view, 'search').status).toBe('succeeded');
    expect(node(a.view, 'train').status).toBe('succeeded');
    expect(a.trainings).toBe(1);

    const b = await run();
    expect(node(b.view, 'search')).toMatchObject({ status: 'cached', cachedFrom: { runId: a.view.id } });
    expect(node(b.view, 'train').status).toBe('succeeded');
    expect(b.trainings).toBe(1);
    // A new training, not the first one's answer.
    expect(b.view.outputs!.training).not.toBe(a.view.outputs!.training);
    expect(await entries(TRAIN)).toEqual([]);
    // The search's entry lives for the catalog's TTL.
    expect(await entries(SEARCH)).toEqual([{ definition_version: 1, ttl: 3600, expired: false }]);
  });

  it('a TTL node is a miss once its entry is older than the TTL', async () => {
    // An hour and a second later, as far as the entry knows.
    await h.handle.db
      .update(nodeCache)
      .set({ storedAt: sql`stored_at - interval '3601 seconds'`, expiresAt: sql`expires_at - interval '3601 seconds'` })
      .where(eq(nodeCache.nodeType, SEARCH));
    const c = await run();
    expect(node(c.view, 'search').status).toBe('succeeded');
    expect(node(c.view, 'search').cachedFrom ?? null).toBeNull();
    expect(await entries(SEARCH)).toEqual([{ definition_version: 1, ttl: 3600, expired: false }]);
    const d = await run();
    expect(node(d.view, 'search')).toMatchObject({ status: 'cached', cachedFrom: { runId: c.view.id } });
  });

  it("a definition version bump is a miss; the old version's entry is not served to it", async () => {
    const def = getNode(SEARCH) as { version?: number };
    const before = def.version;
    def.version = (before ?? 1) + 1;
    let bumped: Awaited<ReturnType<typeof run>>;
    try {
      bumped = await run();
    } finally {
      def.version = before;
    }
    expect(node(bumped.view, 'search').status).toBe('succeeded');
    expect((await entries(SEARCH)).map((e) => e.definition_version).sort()).toEqual([1, 2]);
    // Back on version 1, its own entry serves again.
    const back = await run();
    expect(node(back.view, 'search').status).toBe('cached');
    expect(node(back.view, 'search').cachedFrom!.runId).not.toBe(bumped.view.id);
  });
});

describe('cache keys', () => {
  const cache = new NodeCache({ handle: {} as never, assets: {} as never, config: { freepik: { baseUrl: 'https://api.freepik.com' }, fileServiceUrl: 'https://files.example' } as never });
  const def = getNode(GEMINI)!;
  const doc = seedPipeline(4);
  const restore = doc.nodes.find((n) => n.id === 'restore')!;
  const key = (d = def, n = restore, params: unknown = { prompt: 'p' }, inputs: Record<string, unknown> = { prompt: 'x' }) => cache.keyOf(d, n, params, inputs);

  it('change with the definition version, params, inputs and re-roll nonce, not with key order', async () => {
    const base = await key();
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(await key(def, restore, { prompt: 'p' }, { prompt: 'x' })).toBe(base);
    expect(await key({ ...def, version: 2 })).not.toBe(base);
    expect(await key(def, restore, { prompt: 'q' })).not.toBe(base);
    expect(await key(def, restore, { prompt: 'p' }, { prompt: 'y' })).not.toBe(base);
    expect(await key(def, { ...restore, reroll: 'n1' })).not.toBe(base);
    expect(await key(def, restore, { b: 1, a: 2 })).toBe(await key(def, restore, { a: 2, b: 1 }));
  });
});
