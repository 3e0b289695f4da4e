/**
 * Runs the simulator alone: `npm run sim`. Settings from the environment:
 * SIM_PORT (default 4010), SIM_HOST (default 127.0.0.1), SIM_API_KEYS (comma-separated;
 * empty = any key), SIM_WEBHOOK_SECRET, SIM_LATENCY_MS (every endpoint), SIM_PUBLIC_URL.
 */
import { startSimulator } from './server.ts';

const env = process.env;
const latency = env.SIM_LATENCY_MS ? Number(env.SIM_LATENCY_MS) : undefined;
if (latency !== undefined && !(Number.isInteger(latency) && latency >= 0)) {
  console.error(`SIM_LATENCY_MS must be a whole number of milliseconds, got ${env.SIM_LATENCY_MS}`);
  process.exit(2);
}

const sim = await startSimulator({
  port: Number(env.SIM_PORT ?? 4010),
  host: env.SIM_HOST ?? '127.0.0.1',
  apiKeys: (env.SIM_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
  ...(env.SIM_WEBHOOK_SECRET ? { webhookSecret: env.SIM_WEBHOOK_SECRET } : {}),
  ...(latency !== undefined ? { latencyMs: latency } : {}),
  ...(env.SIM_PUBLIC_URL ? { publicUrl: env.SIM_PUBLIC_URL } : {}),
  logger: { level: env.LOG_LEVEL ?? 'info' },
});

console.log(`Freepik simulator listening on ${sim.url}`);
console.log(
  sim.config.apiKeys.length ? `accepting ${sim.config.apiKeys.length} configured API key(s)` : 'accepting any non-empty x-freepik-api-key',
);
if (!env.SIM_WEBHOOK_SECRET) console.log('webhooks are signed with a random per-process secret (set SIM_WEBHOOK_SECRET to choose one)');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.close().then(() => process.exit(0));
  });
}
