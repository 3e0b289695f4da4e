/**
 * A separate engine process for crash and multi-worker tests (bundled by tests/global-setup.ts).
 * Env: DATA_DIR, DATABASE_URL (optional), SIM_URL, POLL_INITIAL_DELAY_MS…,
 * START_RUNS=<n> with INPUT_DATA_URI to start runs of the seed pipeline.
 * Prints one JSON line per event of interest: {ready}, {runId}.
 */
import { createDb } from '@pikflow/db';
import { createEngine, engineConfigFromEnv } from '@pikflow/engine';
import pino from 'pino';
import { seedPipeline } from './engine-harness.ts';

const sim = process.env.SIM_URL!;
const handle = await createDb({ dataDir: process.env.DATA_DIR!, databaseUrl: process.env.DATABASE_URL || undefined });
// SIM_API_KEY gives the process its own key: the simulator lists tasks per key, as Freepik does.
const config = engineConfigFromEnv(process.env, {
  mode: 'simulator',
  freepik: { baseUrl: sim, apiKey: process.env.SIM_API_KEY ?? '' },
  fileServiceUrl: sim,
  runWorkers: process.env.RUN_WORKERS !== 'false',
  submitTimeoutMs: Number(process.env.SUBMIT_TIMEOUT_MS ?? 2_000),
});
const engine = createEngine({ config, db: handle, logger: pino({ level: process.env.CHILD_LOG_LEVEL ?? 'silent' }), workers: { pollingIntervalSeconds: 0.5 } });
await engine.start();
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + '\n');
// Each run pays for its own tasks (no result cache): what these crash tests count.
const n = Number(process.env.START_RUNS ?? 0);
for (let i = 0; i < n; i++) {
  const { runId } = await engine.startRun({ document: seedPipeline(Number(process.env.SCALE ?? 2)), inputs: { photo: process.env.INPUT_DATA_URI! }, cache: { mode: 'off' } });
  process.stdout.write(JSON.stringify({ runId }) + '\n');
}
process.on('SIGTERM', async () => {
  process.stdout.write(JSON.stringify({ stats: engine.stats }) + '\n');
  await engine.stop();
  await handle.close();
  process.exit(0);
});
