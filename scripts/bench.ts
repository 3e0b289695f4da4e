/**
 * `npm run bench`: how much the engine costs and how fast it moves runs.
 *
 * Starts the Freepik simulator in a child process (so its CPU is not counted) and the
 * engine in this process, on embedded PGlite and — when DATABASE_URL is set — on real
 * PostgreSQL. For task latency 0 and 2000 ms and N = 1, 50, 200 concurrent runs of
 * input → Gemini → Precision V2 → file upload → outputs it prints: wall time, runs/s,
 * p50/p95 run latency, engine CPU ms per run, peak RSS, status requests per task and
 * submissions per task (must be exactly 1), and, to show where the rest of the machine goes,
 * the simulator's and the database's CPU per run (PostgreSQL's server processes; for PGlite the
 * time inside its WASM query execution, which is part of the engine process's CPU). Then 1,000 concurrent runs at 10 s latency.
 *
 * Options: --quick (skip the 1,000-run scenario), --big-only (only that one), --only=pglite|postgres,
 * --only=<db>:<latency ms>:<N> (one scenario, e.g. `--only=postgres:0:200`, for `node --cpu-prof`),
 * --queries (PostgreSQL: count the SQL round trips this process makes, per run, by statement),
 * --batches-only (only the batch rows: 1,000 and 10,000 items at latency 0 through the admission loop;
 * `--batches-only --quick` skips the 10,000).
 * Environment knobs for tuning experiments: BENCH_BATCH / BENCH_CONC (pg-boss batch size and
 * fetch loops per queue; default 50 / 2), BENCH_POOL (pg pool size; default createDb's),
 * BENCH_SIM_NODE_ARGS (node flags for the simulator process, e.g. to profile it).
 * Poll settings: latency 0 rows use a 0 ms first check (the engine's own overhead is what
 * is measured); other rows use the engine defaults (first check 2 s, ×1.5, max 5 s).
 * These rows run with the result cache off (every run pays for its tasks); the `cached` row runs
 * the same pipeline on the same photo with the cache on after a warm-up filled it: every node is
 * served from the cache, no Freepik request is made (the row fails unless submissions are 0).
 * `--only=<db>:cached:<N>` runs just that one.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inArray, sql } from 'drizzle-orm';
import pino from 'pino';
import sharp from 'sharp';
import { createDb, nodeRuns, runs, type DbHandle } from '@pikflow/db';
import { createEngine, engineConfigFromEnv, DEFAULT_POLL, type EngineConfig } from '@pikflow/engine';
import type { CacheMode, PipelineDocument } from '@pikflow/pipeline';
import { startSimProcess, type SimProcess } from '../tests/support/sim-process.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const onlyArg = [...args].find((a) => a.startsWith('--only='))?.slice(7);
const [only, onlyLatency, onlyN] = (onlyArg ?? '').split(':');
const countQueries = args.has('--queries');
const GEMINI = 'freepik.gemini-2-5-flash';
const UPSCALE = 'freepik.upscaler-precision-v2';

const PIPELINE: PipelineDocument = {
  version: 1,
  nodes: [
    { id: 'photo', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
    { id: 'restore', type: GEMINI, params: { prompt: 'Restore this photo' }, position: { x: 1, y: 0 } },
    { id: 'upscale', type: UPSCALE, params: { scale_factor: 2 }, position: { x: 2, y: 0 } },
    { id: 'upload', type: 'storage.file-upload', params: {}, position: { x: 3, y: 0 } },
    { id: 'stored_url', type: 'output', params: { name: 'stored_url' }, position: { x: 4, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'photo', sourceHandle: 'image', target: 'restore', targetHandle: 'reference_images' },
    { id: 'e2', source: 'restore', sourceHandle: 'image', target: 'upscale', targetHandle: 'image' },
    { id: 'e3', source: 'upscale', sourceHandle: 'image', target: 'upload', targetHandle: 'image' },
    { id: 'e4', source: 'upload', sourceHandle: 'url', target: 'stored_url', targetHandle: 'value' },
  ],
};

// ---------------------------------------------------------------------------------------
// SQL statement counter (--queries, PostgreSQL): every statement any pg client of this
// process sends (drizzle, pg-boss, the event listener), grouped by its first words.

const queryCounts = new Map<string, number>();
if (countQueries) {
  // The one pg of the workspace (the engine's and pg-boss's), resolved where the engine resolves it.
  const pg = createRequire(join(root, 'packages/engine/package.json'))('pg') as typeof import('pg');
  const original = pg.Client.prototype.query as (...a: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: unknown }).query = function (this: unknown, ...a: unknown[]) {
    const text = typeof a[0] === 'string' ? a[0] : (a[0] as { text?: string } | undefined)?.text ?? '?';
    const key = text.replace(/E?'(?:[^']|'')*'/g, '?').replace(/\s+/g, ' ').trim().slice(0, 70);
    queryCounts.set(key, (queryCounts.get(key) ?? 0) + 1);
    return original.apply(this, a);
  };
}

function printQueries(n: number): void {
  if (!countQueries) return;
  const total = [...queryCounts.values()].reduce((a, b) => a + b, 0);
  console.log(`\nSQL round trips: ${total} for ${n} runs = ${(total / n).toFixed(1)} per run (includes the bench's own wait loop; a batch like "BEGIN; …" is one)`);
  for (const [key, count] of [...queryCounts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    console.log(`  ${(count / n).toFixed(2).padStart(6)}  ${key}`);
  }
  console.log('');
}

// ---------------------------------------------------------------------------------------
// CPU of the other processes on the machine (Linux /proc): the simulator and PostgreSQL's
// server processes. The engine's own CPU comes from process.cpuUsage().

const TICK_MS = 10; // USER_HZ = 100 on Linux
function processCpuMs(pid: number): number {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}
/**
 * PGlite runs inside the engine process: the time spent in its (synchronous) WASM query
 * execution is its CPU, which the engine process's own figure includes.
 */
function timePglite(handle: DbHandle): () => number {
  const pglite = handle.pglite as unknown as { execProtocolRawSync(message: Uint8Array): unknown } | undefined;
  if (!pglite) return () => NaN;
  let spent = 0;
  const original = pglite.execProtocolRawSync.bind(pglite);
  pglite.execProtocolRawSync = (message) => {
    const t0 = performance.now();
    try {
      return original(message);
    } finally {
      spent += performance.now() - t0;
    }
  };
  return () => spent;
}

function postgresCpuMs(): number {
  let total = 0;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += processCpuMs(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return NaN;
  }
  return total;
}

// ---------------------------------------------------------------------------------------
// One scenario.

interface Row {
  db: string;
  latencyMs: number;
  n: number;
  wallMs: number;
  runsPerSec: number;
  p50: number;
  p95: number;
  cpuPerRun: number;
  /** The simulator's and the database's CPU per run. */
  simCpuPerRun: number;
  dbCpuPerRun: number;
  peakRssMb: number;
  statusPerTask: number;
  submissionsPerTask: number;
  succeeded: number;
  note?: string;
  /** The fully cached scenario: expects no submissions at all. */
  cached?: boolean;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function openDb(kind: 'pglite' | 'postgres'): Promise<{ handle: DbHandle; cleanup(): void; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pikflow-bench-'));
  const handle = await createDb({ dataDir, databaseUrl: kind === 'postgres' ? process.env.DATABASE_URL : undefined, ...(process.env.BENCH_POOL ? { poolSize: Number(process.env.BENCH_POOL) } : {}) });
  return { handle, dataDir, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

async function scenario(
  sim: SimProcess,
  kind: 'pglite' | 'postgres',
  latencyMs: number,
  counts: number[],
  photo: string,
  poll: EngineConfig['poll'],
  cache: CacheMode = 'off',
): Promise<Row[]> {
  const { handle, dataDir, cleanup } = await openDb(kind);
  const pgliteMs = timePglite(handle);
  const config = engineConfigFromEnv(
    { DATA_DIR: dataDir },
    { mode: 'simulator', freepik: { baseUrl: sim.url, apiKey: 'bench' }, fileServiceUrl: sim.url, poll, nodeTimeoutMs: 10 * 60_000 },
  );
  const engine = createEngine({ config, db: handle, logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }), workers: { batchSize: Number(process.env.BENCH_BATCH ?? 50), concurrency: Number(process.env.BENCH_CONC ?? 2) } });
  await engine.start();
  await sim.configure({ latencyMs });
  const rows: Row[] = [];
  try {
    // Warm-up (JIT, connections, caches): not measured.
    // With the cache on it also fills the cache the measured runs are served from.
    await runBatch(engine, handle, Math.min(5, counts[0] ?? 1), photo, cache);
    for (const n of counts) {
      await sim.reset();
      let peakRss = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 25);
      queryCounts.clear();
      const sim0 = processCpuMs(sim.child.pid!);
      const db0 = kind === 'postgres' ? postgresCpuMs() : pgliteMs();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const ids = await runBatch(engine, handle, n, photo, cache);
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const simCpu = processCpuMs(sim.child.pid!) - sim0;
      const dbCpu = (kind === 'postgres' ? postgresCpuMs() : pgliteMs()) - db0;
      clearInterval(sampler);
      printQueries(n);
      if (countQueries) {
        const m = process.memoryUsage();
        const mb = (x: number) => `${Math.round(x / 1024 / 1024)} MB`;
        console.log(`CPU: user ${(cpu.user / 1000 / n).toFixed(2)} ms/run, system ${(cpu.system / 1000 / n).toFixed(2)} ms/run`);
        console.log(`memory now: rss ${mb(m.rss)}, JS heap ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)})`);
      }
      peakRss = Math.max(peakRss, process.memoryUsage().rss);

      const finished = await handle.db
        .select({ status: runs.status, ms: sql<number>`extract(epoch from (${runs.finishedAt} - ${runs.createdAt})) * 1000` })
        .from(runs)
        .where(inArray(runs.id, ids));
      const latencies = finished.map((r) => Number(r.ms)).sort((a, b) => a - b);
      const tasks = await handle.db
        .select({ taskId: nodeRuns.taskId })
        .from(nodeRuns)
        .where(sql`${nodeRuns.runId} in ${ids} and ${nodeRuns.nodeType} in (${GEMINI}, ${UPSCALE}) and ${nodeRuns.taskId} is not null`);
      const stats = await sim.stats();
      const submissions = (stats.submissions[GEMINI] ?? 0) + (stats.submissions[UPSCALE] ?? 0);
      const polls = (stats.polls[GEMINI] ?? 0) + (stats.polls[UPSCALE] ?? 0);
      const taskCount = new Set(tasks.map((t) => t.taskId)).size;
      rows.push({
        db: kind,
        latencyMs,
        n,
        wallMs,
        runsPerSec: n / (wallMs / 1000),
        p50: quantile(latencies, 0.5),
        p95: quantile(latencies, 0.95),
        cpuPerRun: (cpu.user + cpu.system) / 1000 / n,
        simCpuPerRun: simCpu / n,
        dbCpuPerRun: dbCpu / n,
        peakRssMb: peakRss / 1024 / 1024,
        statusPerTask: polls / Math.max(1, taskCount),
        submissionsPerTask: submissions / Math.max(1, taskCount),
        succeeded: finished.filter((r) => r.status === 'succeeded').length,
        ...(cache === 'use' ? { cached: true } : {}),
      });
      printRow(rows[rows.length - 1]!);
    }
  } finally {
    await engine.stop();
    await handle.close();
    cleanup();
  }
  return rows;
}

/**
 * Starts n runs (at most 100 start calls in flight, like a server under a burst of requests)
 * and waits for all of them (one cheap query per 100 ms).
 */
async function runBatch(engine: ReturnType<typeof createEngine>, handle: DbHandle, n: number, photo: string, cache: CacheMode): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 100) {
    const chunk = Array.from({ length: Math.min(100, n - i) }, async () => (await engine.startRun({ document: PIPELINE, inputs: { photo }, cache: { mode: cache } })).runId);
    ids.push(...(await Promise.all(chunk)));
  }
  for (;;) {
    const [row] = await handle.db
      .select({ open: sql<number>`count(*)` })
      .from(runs)
      .where(sql`${runs.id} in ${ids} and ${runs.status} in ('queued', 'running')`);
    if (Number(row?.open) === 0) return ids;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A batch of n items at latency 0 through the admission loop (at most 50 runs in flight):
 * items/s, engine CPU per item and peak RSS, which must stay flat as n grows (items are rows,
 * not memory, and never all in the queue).
 */
async function batchScenario(sim: SimProcess, kind: 'pglite' | 'postgres', n: number, png: Buffer): Promise<boolean> {
  const { handle, dataDir, cleanup } = await openDb(kind);
  const config = engineConfigFromEnv(
    { DATA_DIR: dataDir },
    { mode: 'simulator', freepik: { baseUrl: sim.url, apiKey: 'bench' }, fileServiceUrl: sim.url, poll: { initialDelayMs: 0, factor: DEFAULT_POLL.factor, maxDelayMs: DEFAULT_POLL.maxDelayMs }, nodeTimeoutMs: 10 * 60_000 },
  );
  const engine = createEngine({ config, db: handle, logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }), workers: { batchSize: Number(process.env.BENCH_BATCH ?? 50), concurrency: Number(process.env.BENCH_CONC ?? 2) } });
  await engine.start();
  await sim.configure({ latencyMs: 0 });
  try {
    const photo = (await engine.assets.putUpload(new Uint8Array(png), 'photo.png')).assetId;
    await sim.reset();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 25);
    // What the process really holds (RSS also counts garbage not yet collected): the heap right
    // after a full GC, every 2 s, when the bench runs with --expose-gc (npm run bench does).
    const gc = (globalThis as { gc?: () => void }).gc;
    let peakLiveHeap = 0;
    const liveSampler = gc
      ? setInterval(() => {
          gc();
          peakLiveHeap = Math.max(peakLiveHeap, process.memoryUsage().heapUsed);
        }, 2_000)
      : undefined;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // Every item pays for its own tasks (as the run rows do): with the cache on, identical items would share one.
    const { batchId } = await engine.createBatch({ document: PIPELINE, items: Array.from({ length: n }, () => ({ inputs: { photo } })), maxInFlight: 50, cacheMode: 'off' });
    let view = await engine.getBatch(batchId);
    while (view && view.status === 'running') {
      await new Promise((r) => setTimeout(r, 250));
      view = await engine.getBatch(batchId);
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    clearInterval(liveSampler);
    const stats = await sim.stats();
    const submissions = (stats.submissions[GEMINI] ?? 0) + (stats.submissions[UPSCALE] ?? 0);
    const ok = view?.counts.succeeded ?? 0;
    console.log(
      `| ${kind} | ${n} | ${(wallMs / 1000).toFixed(2)} | ${(n / (wallMs / 1000)).toFixed(1)} | ${((cpu.user + cpu.system) / 1000 / n).toFixed(1)} | ${(peakRss / 1024 / 1024).toFixed(0)} | ${gc ? (peakLiveHeap / 1024 / 1024).toFixed(0) : '–'} | ${(submissions / Math.max(1, n)).toFixed(2)} | ${ok}/${n} |`,
    );
    return ok === n && submissions === 2 * n;
  } finally {
    await engine.stop();
    await handle.close();
    cleanup();
  }
}

const HEADER =
  '| db | latency | N | wall s | runs/s | p50 s | p95 s | engine CPU ms/run | peak RSS MB | status req/task | submissions/task | ok | simulator CPU ms/run | database CPU ms/run |';
function printRow(r: Row): void {
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  console.log(
    `| ${r.db} | ${r.cached ? 'cached' : `${r.latencyMs} ms`} | ${r.n} | ${f(r.wallMs / 1000)} | ${f(r.runsPerSec, 1)} | ${f(r.p50 / 1000)} | ${f(r.p95 / 1000)} | ${f(r.cpuPerRun, 1)} | ${f(r.peakRssMb, 0)} | ${f(r.statusPerTask)} | ${f(r.submissionsPerTask)} | ${r.succeeded}/${r.n} | ${f(r.simCpuPerRun, 1)} | ${f(r.dbCpuPerRun, 1)} |`,
  );
}

async function main(): Promise<void> {
  const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 90, g: 120, b: 160 } } }).png().toBuffer();
  const photo = `data:image/png;base64,${png.toString('base64')}`;
  const kinds: ('pglite' | 'postgres')[] = ['pglite', ...(process.env.DATABASE_URL ? (['postgres'] as const) : [])].filter(
    (k) => !only || k === only,
  ) as ('pglite' | 'postgres')[];
  if (!process.env.DATABASE_URL) console.log('(DATABASE_URL not set: PostgreSQL rows skipped)');
  if (kinds.length > 1) {
    // One process per database, so each peak RSS is that backend's own (PGlite never gives memory back).
    let failed = 0;
    for (const kind of kinds) {
      const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2), `--only=${kind}`], {
        cwd: root,
        stdio: 'inherit',
      });
      if (child.status !== 0) failed++;
    }
    process.exit(failed ? 1 : 0);
  }
  // BENCH_SIM_NODE_ARGS: extra node flags for the simulator (e.g. `--cpu-prof --cpu-prof-dir=/tmp/sim-prof`).
  const sim = await startSimProcess({ nodeArgs: (process.env.BENCH_SIM_NODE_ARGS ?? '').split(' ').filter(Boolean), env: { SIM_WEBHOOK_SECRET: 'bench-secret' } });
  console.log(`simulator: ${sim.url} (separate process); pipeline: input → Gemini → Precision V2 ×2 → file upload → output; 32×24 PNG input\n`);
  if (!args.has('--batches-only')) {
    console.log(HEADER);
    console.log('|' + ' --- |'.repeat(HEADER.split('|').length - 2));
  }
  const all: Row[] = [];
  try {
    if (args.has('--big-only')) {
      for (const kind of kinds) all.push(...(await scenario(sim, kind, 10_000, [1000], photo, DEFAULT_POLL)));
      sim.child.kill('SIGTERM');
      process.exit(0);
    }
    if (onlyLatency === 'cached' && onlyN !== undefined) {
      all.push(...(await scenario(sim, kinds[0]!, 0, [Number(onlyN)], photo, { initialDelayMs: 0, factor: DEFAULT_POLL.factor, maxDelayMs: DEFAULT_POLL.maxDelayMs }, 'use')));
      sim.child.kill('SIGTERM');
      process.exit(0);
    }
    if (args.has('--batches-only')) {
      console.log('| db | batch items | wall s | items/s | engine CPU ms/item | peak RSS MB | peak live heap MB | submissions/item | ok |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
      let good = true;
      for (const n of args.has('--quick') ? [1_000] : [1_000, 10_000]) good = (await batchScenario(sim, kinds[0]!, n, png)) && good;
      sim.child.kill('SIGTERM');
      process.exit(good ? 0 : 1);
    }
    if (onlyLatency !== undefined && onlyN !== undefined) {
      const latency = Number(onlyLatency);
      const poll = latency === 0 ? { initialDelayMs: 0, factor: DEFAULT_POLL.factor, maxDelayMs: DEFAULT_POLL.maxDelayMs } : DEFAULT_POLL;
      all.push(...(await scenario(sim, kinds[0]!, latency, [Number(onlyN)], photo, poll)));
      sim.child.kill('SIGTERM');
      process.exit(0);
    }
    if (args.has('--profile')) {
      // One scenario only, for `node --cpu-prof`.
      all.push(...(await scenario(sim, kinds[0]!, 0, [200], photo, { initialDelayMs: 0, factor: DEFAULT_POLL.factor, maxDelayMs: DEFAULT_POLL.maxDelayMs })));
      sim.child.kill('SIGTERM');
      process.exit(0);
    }
    for (const kind of kinds) {
      all.push(...(await scenario(sim, kind, 0, [1, 50, 200], photo, { initialDelayMs: 0, factor: DEFAULT_POLL.factor, maxDelayMs: DEFAULT_POLL.maxDelayMs })));
      all.push(...(await scenario(sim, kind, 2000, [1, 50, 200], photo, DEFAULT_POLL)));
      // The seed pipeline fully cached: what a re-run of an unchanged pipeline costs.
      all.push(...(await scenario(sim, kind, 0, [200], photo, { initialDelayMs: 0, factor: DEFAULT_POLL.factor, maxDelayMs: DEFAULT_POLL.maxDelayMs }, 'use')));
    }
    if (!args.has('--quick')) {
      for (const kind of kinds) all.push(...(await scenario(sim, kind, 10_000, [1000], photo, DEFAULT_POLL)));
    }
  } finally {
    sim.child.kill('SIGTERM');
  }
  const single = all.find((r) => r.latencyMs === 2000 && r.n === 1);
  if (single) {
    // Critical path: Gemini 2 s + Precision V2 2 s (the upload is synchronous).
    console.log(`\nlatency 2000 ms, 1 run: p50 ${(single.p50 / 1000).toFixed(2)} s vs critical path 4.00 s (+${((single.p50 / 4000 - 1) * 100).toFixed(1)}%)`);
  }
  const bad = all.filter((r) => (r.cached ? r.submissionsPerTask !== 0 : Math.abs(r.submissionsPerTask - 1) > 1e-9) || r.succeeded !== r.n);
  console.log(
    bad.length
      ? `\nPROBLEM: ${bad.length} rows with failed runs, submissions/task ≠ 1, or submissions in the cached row`
      : '\nall runs succeeded; exactly one submission per task, none in the cached rows',
  );
  process.exit(bad.length ? 1 : 0);
}

await main();
