/**
 * The one command (`npm start`): config from the environment, the bundled Freepik
 * simulator when there is no FREEPIK_API_KEY, the database (embedded PGlite in DATA_DIR,
 * or DATABASE_URL) with its migrations, the engine, the API and the built editor on one port.
 */
import type { Writable } from 'node:stream';
import pretty from 'pino-pretty';
import { startServer } from './app.ts';
import { loadConfig } from './config.ts';

function logStream(): Writable | undefined {
  // People read the terminal; log collectors read JSON (LOG_FORMAT=json or no TTY).
  if (process.env.LOG_FORMAT === 'json' || !process.stdout.isTTY) return undefined;
  return pretty({ colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' });
}

async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    console.error(`Pikflow: bad configuration: ${(err as Error).message}`);
    process.exit(2);
  }

  let server;
  try {
    server = await startServer({ config, logStream: logStream() });
  } catch (err) {
    console.error(`Pikflow could not start: ${(err as Error).message}`);
    process.exit(1);
  }
  const { app, url } = server;
  const info = app.pikflow;
  app.log.info(
    {
      url,
      mode: info.mode,
      database: info.database,
      webhooks: Boolean(info.engineConfig.webhookSecret),
      ...(info.database === 'pglite' ? { dataDir: config.dataDir } : {}),
    },
    [
      `Pikflow is running — open ${url}`,
      info.mode === 'simulator' ? 'Freepik simulator — no API key set' : 'Freepik API',
      info.database === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)',
    ].join(' · '),
  );
  if (info.mode === 'freepik' && !info.engineConfig.webhookSecret) {
    app.log.info('Webhooks are off (set PUBLIC_URL and FREEPIK_WEBHOOK_SECRET to use them); task status is polled');
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down: in-flight runs pause durably and resume at the next start');
    const force = setTimeout(() => {
      app.log.error('shutdown took longer than 15 s: exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

void main();
