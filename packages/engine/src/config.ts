/**
 * Engine configuration from the environment. Without FREEPIK_API_KEY the engine
 * runs in 'simulator' mode against the bundled Freepik simulator (FREEPIK_API_BASE
 * must then point at it; the server sets it when it starts the simulator).
 */
import { join, resolve } from 'node:path';
import { quotaConfigFromEnv } from './quota-table.ts';
import type { EngineConfig } from './types.ts';

export const DEFAULT_FREEPIK_API_BASE = 'https://api.freepik.com';
export const DEFAULT_FILE_SERVICE_URL = 'https://file-service-cdal.onrender.com';

/**
 * Polling as seed 000 says ("poll the status endpoint every 2-5 seconds"): first status
 * check after 2 s, then ×1.5 up to 5 s. Checks at 2, 5, 9.5, 14.5, 19.5 s…: a 10 s task
 * takes 4 requests, a 30 s task 7. POLL_* settings override it (e.g. longer for video).
 */
export const DEFAULT_POLL = { initialDelayMs: 2_000, factor: 1.5, maxDelayMs: 5_000 };

type Env = Record<string, string | undefined>;

function num(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${key} must be a non-negative number, got "${raw}"`);
  return value;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function engineConfigFromEnv(env: Env = process.env, overrides: Partial<EngineConfig> = {}): EngineConfig {
  const apiKey = env.FREEPIK_API_KEY?.trim() ?? '';
  const dataDir = resolve(env.DATA_DIR ?? './.data');
  const publicUrl = env.PUBLIC_URL?.trim() ? trimSlash(env.PUBLIC_URL.trim()) : undefined;
  const webhookSecret = env.FREEPIK_WEBHOOK_SECRET?.trim() || undefined;
  const base: EngineConfig = {
    mode: apiKey ? 'freepik' : 'simulator',
    freepik: { baseUrl: trimSlash(env.FREEPIK_API_BASE?.trim() || DEFAULT_FREEPIK_API_BASE), apiKey },
    fileServiceUrl: trimSlash(env.FILE_SERVICE_URL?.trim() || DEFAULT_FILE_SERVICE_URL),
    publicUrl,
    webhookSecret,
    assetsDir: resolve(env.ASSETS_DIR ?? join(dataDir, 'assets')),
    poll: {
      initialDelayMs: num(env, 'POLL_INITIAL_DELAY_MS', DEFAULT_POLL.initialDelayMs),
      factor: Math.max(1, num(env, 'POLL_FACTOR', DEFAULT_POLL.factor)),
      maxDelayMs: num(env, 'POLL_MAX_DELAY_MS', DEFAULT_POLL.maxDelayMs),
    },
    nodeTimeoutMs: num(env, 'NODE_TIMEOUT_MS', 15 * 60_000),
    maxDownloadBytes: num(env, 'MAX_DOWNLOAD_BYTES', 50 * 1024 * 1024),
    runWorkers: (env.RUN_WORKERS ?? 'true') !== 'false',
    quota: quotaConfigFromEnv(env, apiKey ? 'freepik' : 'simulator'),
    ...pricesFromEnv(env),
    ...budgetsFromEnv(env),
    ambiguousSubmit: ambiguousPolicy(env.AMBIGUOUS_SUBMIT),
    ...(env.PUBLIC_URL_WAIT_MS ? { waitForPublicUrlMs: num(env, 'PUBLIC_URL_WAIT_MS', 60_000) } : {}),
  };
  return { ...base, ...overrides, freepik: { ...base.freepik, ...overrides.freepik }, poll: { ...base.poll, ...overrides.poll } };
}

/**
 * FREEPIK_PRICES: `{"currency":"EUR","perRequest":{"freepik.mystic":0.05},"perMegapixel":{"image-upscaler":0.01},"assumedMegapixels":1}`
 * (by service or node type; per output megapixel for upscalers; the input size assumed when not known before the run).
 */
function pricesFromEnv(env: Env): Pick<EngineConfig, 'prices'> {
  const raw = env.FREEPIK_PRICES?.trim();
  if (!raw) return {};
  let parsed: { currency?: unknown; perRequest?: unknown };
  try {
    parsed = JSON.parse(raw) as typeof parsed;
  } catch {
    throw new Error('FREEPIK_PRICES must be JSON: {"currency":"EUR","perRequest":{"<service or node type>":<price>}}');
  }
  const table = (field: 'perRequest' | 'perMegapixel', required: boolean): Record<string, number> | undefined => {
    const value = (parsed as Record<string, unknown>)[field];
    if (value === undefined && !required) return undefined;
    if (!value || typeof value !== 'object' || Object.values(value).some((v) => typeof v !== 'number' || !(v >= 0))) {
      throw new Error(`FREEPIK_PRICES.${field} must map services or node types to non-negative numbers`);
    }
    return value as Record<string, number>;
  };
  const perRequest = table('perRequest', !('perMegapixel' in parsed)) ?? {};
  const perMegapixel = table('perMegapixel', false);
  const assumed = (parsed as { assumedMegapixels?: unknown }).assumedMegapixels;
  if (assumed !== undefined && !(typeof assumed === 'number' && assumed > 0)) throw new Error('FREEPIK_PRICES.assumedMegapixels must be a positive number');
  return {
    prices: {
      currency: typeof parsed.currency === 'string' ? parsed.currency : 'credits',
      perRequest,
      ...(perMegapixel ? { perMegapixel } : {}),
      ...(assumed !== undefined ? { assumedMegapixels: assumed as number } : {}),
    },
  };
}

function budgetsFromEnv(env: Env): Pick<EngineConfig, 'budgets'> {
  const budgets: NonNullable<EngineConfig['budgets']> = {};
  for (const [key, field] of [['BUDGET_PER_RUN', 'perRun'], ['BUDGET_PER_BATCH', 'perBatch'], ['BUDGET_PER_DAY', 'perDay']] as const) {
    if (env[key]?.trim()) budgets[field] = num(env, key, 0);
  }
  return Object.keys(budgets).length ? { budgets } : {};
}

function ambiguousPolicy(raw: string | undefined): 'resend' | 'fail' {
  const value = raw?.trim().toLowerCase() || 'resend';
  if (value !== 'resend' && value !== 'fail') throw new Error(`AMBIGUOUS_SUBMIT must be "resend" or "fail", got "${raw}"`);
  return value;
}

/** Webhooks are used only when Freepik can reach us and we can verify what it sends. */
export function webhooksEnabled(config: EngineConfig): boolean {
  return Boolean(config.publicUrl && config.webhookSecret);
}
