import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Fractions (0–1) of requests or tasks that go wrong on purpose. */
export interface FaultConfig {
  /** Requests to /v1/ answered 429 with Retry-After. */
  http429: number;
  /** Requests to /v1/ answered 500 `{"message":"Internal Server Error"}`. */
  http500: number;
  /** Requests to /v1/ answered 503 `{"message":"Service Unavailable. Please try again later."}`. */
  http503: number;
  /** Created tasks that end FAILED. */
  failedTasks: number;
  /** Created tasks that stay CREATED forever (seen in the wild when an account has no credits). */
  stuckTasks: number;
  /**
   * Create requests whose task is made but whose response is lost (the connection
   * is cut): the "ambiguous submit" a client must not blindly retry.
   */
  lostCreateResponses: number;
  /** Retry-After (seconds) sent with injected 429s. */
  retryAfterSeconds: number;
}

/** Every address a host name resolves to (the shape of `dns.lookup(name, { all: true })`). */
export type HostResolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** At most `limit` requests per key within any `windowMs`. */
export interface RateLimitWindow {
  limit: number;
  windowMs: number;
}

export interface SimConfig {
  /** Accepted `x-freepik-api-key` values; empty = any non-empty key. */
  apiKeys: string[];
  /** Webhook signing secret, used as UTF-8 bytes. */
  webhookSecret: string;
  /** Time from create to COMPLETED for every endpoint (ms); unset = each endpoint's own default. */
  latencyMs?: number;
  /** Per-endpoint latency (ms) by endpoint id; wins over latencyMs. */
  latencyByEndpoint: Record<string, number>;
  /** Lifetime of result URLs (ms) unless the endpoint has its own. */
  resultTtlMs: number;
  faults: FaultConfig;
  /** Seed of the RNG behind faults and outputs. */
  seed: number;
  /** Per-key request windows (Freepik: 50/s over 5 s, 10/s averaged over 2 min); false disables. */
  rateLimits: RateLimitWindow[] | false;
  /**
   * Per-key windows on the create requests of one endpoint (by endpoint id), on top of
   * `rateLimits`: Freepik documents none per service, so tests set them (e.g. 5/s on an upscaler).
   */
  createRateLimits: Record<string, RateLimitWindow[]>;
  /** Outputs above this many pixels end FAILED. */
  maxOutputPixels: number;
  /** Memory budget for result files; past it the oldest expire early. */
  maxStoredFileBytes: number;
  /** Largest image accepted in a request (decoded bytes). */
  maxImageBytes: number;
  /** Largest image accepted in a request, in pixels (a small file can decode to gigabytes). */
  maxInputPixels: number;
  /**
   * Origins (`http://127.0.0.1:3000`) the simulator may download images from although they
   * are loopback or private — what a local Pikflow hands over by URL — or 'any' (standalone
   * default: it stands in for the internet on this machine). Redirects to private
   * addresses are never followed.
   */
  privateImageOrigins: string[] | 'any';
  /**
   * Host names it answers to besides IP literals and localhost ('any': every one, the
   * standalone default). Inside Pikflow none: a DNS-rebinding page must not reach /__sim.
   */
  allowedHosts: string[] | 'any';
  /**
   * How image-URL host names resolve; unset = the system resolver. Code-only (not settable
   * over HTTP): tests inject a resolver that changes its answer, as a rebinding name does.
   */
  resolveHost?: HostResolver;
  /** Webhook delivery: retries after the first attempt, first backoff (doubles), per-attempt timeout. */
  webhookRetries: number;
  webhookRetryBaseMs: number;
  webhookTimeoutMs: number;
}

export const FREEPIK_RATE_LIMITS: RateLimitWindow[] = [
  { limit: 250, windowMs: 5_000 },
  { limit: 1_200, windowMs: 120_000 },
];

export const NO_FAULTS: FaultConfig = { http429: 0, http500: 0, http503: 0, failedTasks: 0, stuckTasks: 0, lostCreateResponses: 0, retryAfterSeconds: 1 };

export type SimConfigInput = Partial<Omit<SimConfig, 'faults'>> & { faults?: Partial<FaultConfig> };

export function defaultConfig(): SimConfig {
  return {
    apiKeys: [],
    // A fresh secret per process unless one is configured, so none ever sits in the code.
    webhookSecret: randomBytes(24).toString('base64url'),
    latencyByEndpoint: {},
    resultTtlMs: 24 * 60 * 60 * 1000,
    faults: { ...NO_FAULTS },
    seed: Date.now() >>> 0,
    rateLimits: FREEPIK_RATE_LIMITS,
    createRateLimits: {},
    maxOutputPixels: 64_000_000,
    maxImageBytes: 30 * 1024 * 1024,
    maxInputPixels: 100_000_000,
    privateImageOrigins: 'any',
    allowedHosts: 'any',
    maxStoredFileBytes: 1024 * 1024 * 1024,
    webhookRetries: 3,
    webhookRetryBaseMs: 500,
    webhookTimeoutMs: 10_000,
  };
}

const fraction = z.number().min(0).max(1);
const ms = z.number().int().min(0);

/** The body of POST /__sim/config (and the shape `configure()` accepts). */
export const configPatchSchema = z
  .object({
    apiKeys: z.array(z.string().min(1)),
    webhookSecret: z.string().min(1),
    latencyMs: ms.optional(),
    latencyByEndpoint: z.record(z.string(), ms),
    resultTtlMs: ms,
    faults: z
      .object({
        http429: fraction,
        http500: fraction,
        http503: fraction,
        failedTasks: fraction,
        stuckTasks: fraction,
        lostCreateResponses: fraction,
        retryAfterSeconds: z.number().int().min(0).max(3600),
      })
      .partial(),
    seed: z.number().int(),
    rateLimits: z.union([z.literal(false), z.array(z.object({ limit: z.number().int().min(1), windowMs: ms.min(1) }))]),
    createRateLimits: z.record(z.string(), z.array(z.object({ limit: z.number().int().min(1), windowMs: ms.min(1) }))),
    maxOutputPixels: z.number().int().min(1),
    maxImageBytes: z.number().int().min(1),
    maxInputPixels: z.number().int().min(1),
    privateImageOrigins: z.union([z.literal('any'), z.array(z.url())]),
    maxStoredFileBytes: z.number().int().min(1),
    webhookRetries: z.number().int().min(0).max(20),
    webhookRetryBaseMs: ms,
    webhookTimeoutMs: ms.min(1),
  })
  .partial()
  .strict();

/** Merges a patch into a config (faults merge field by field). */
export function mergeConfig(base: SimConfig, patch: SimConfigInput): SimConfig {
  const { faults, ...rest } = patch;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return { ...base, ...defined, faults: { ...base.faults, ...(faults ?? {}) } };
}

/** The config as shown over HTTP: never the webhook secret or the keys themselves. */
export function publicConfig(config: SimConfig) {
  const { webhookSecret: _secret, apiKeys, resolveHost: _resolver, ...rest } = config;
  return { ...rest, apiKeyCount: apiKeys.length, webhookSecretSet: true };
}
