/**
 * `npm run worker`: a job-only process for deployments on real PostgreSQL. Any number
 * of these share the queues with the server (and each other); each takes jobs, runs
 * nodes and recovers runs left behind by a crashed process.
 *
 *   DATABASE_URL=postgres://… FREEPIK_API_KEY=… npm run worker
 *
 * Without FREEPIK_API_KEY it runs against a simulator at FREEPIK_API_BASE (the server
 * prints that address when it starts the bundled simulator).
 */
import { PikflowError } from '@pikflow/catalog';
import { createDb } from '@pikflow/db';
import { engineConfigFromEnv } from '../config.ts';
import { createEngine } from '../engine.ts';
import { createLogger } from '../logger.ts';

const logger = createLogger({ name: 'pikflow-worker' });

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL?.trim();
  if (!databaseUrl) {
    console.error(
      'pikflow worker: DATABASE_URL is required.\n' +
        'Separate workers share work through PostgreSQL; the embedded database (PGlite) belongs to one process,\n' +
        'where `npm start` already runs the jobs itself. Example:\n' +
        '  DATABASE_URL=postgres://user@host:5432/pikflow npm run worker',
    );
    process.exit(2);
  }
  // A worker may start (or restart) while the server is down: wait for its asset URLs first.
  const config = engineConfigFromEnv(process.env, { runWorkers: true });
  config.waitForPublicUrlMs ??= 60_000;
  if (config.mode === 'simulator' && !process.env.FREEPIK_API_BASE) {
    console.error('pikflow worker: without FREEPIK_API_KEY set FREEPIK_API_BASE to the simulator the server started (e.g. http://127.0.0.1:4010).');
    process.exit(2);
  }
  const handle = await createDb({ databaseUrl, dataDir: process.env.DATA_DIR ?? './.data' });
  const engine = createEngine({ config, db: handle, logger });
  await engine.start();
  logger.info({ pid: process.pid, mode: config.mode }, 'worker ready');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker stopping');
    // In-flight jobs finish or expire and are retried elsewhere: the journal makes that safe.
    await engine.stop().catch((error: Error) => logger.error({ err: error.message }, 'stop failed'));
    await handle.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof PikflowError ? `${error.code}: ${error.message}` : (error as Error).message;
  logger.fatal({ err: message }, 'worker failed to start');
  process.exit(1);
});
