/**
 * Freepik's documented limits, in one table: requests per day per service and plan, the
 * per-key request windows, and (from the catalog) concurrent tasks. Everything that limits,
 * counts or estimates Freepik requests (limiter, usage, estimate, budgets) reads it here.
 *
 * Sources:
 * - Requests per day: the rate-limit page of seed 004 (S4:239-261); "N/A" on the Free plan
 *   means the service is not available there (upscalers are "only available for premium API
 *   users", S3:592). Rows marked `docs` come from the later docs.freepik.com/ratelimits table
 *   (reference freepik-api-behaviour.md §2), not from a seed.
 * - Per-second: "50 hits/s over a 5-second window" and "10 hits/s averaged over 2 minutes",
 *   per IP/key, all services together (reference §2). No per-service rate is documented;
 *   configuration may add one (`perSecond`).
 * - Concurrent tasks: the catalog's `maxConcurrentTasks` of the service's nodes (Kling v2 and
 *   Elements: "up to 3 concurrent requests per user", S4:4683, 5017, 5348).
 *
 * A node type without a row here is its own service with no documented daily limit.
 */
import { getNode } from '@pikflow/catalog';

export type FreepikPlan = 'free' | 'premium';
/** `none`: only documented concurrency is enforced (the simulator's default). */
export type QuotaPlan = FreepikPlan | 'none';

/** At most `limit` submissions within any `windowMs`. */
export interface RequestWindow {
  limit: number;
  windowMs: number;
}

interface ServiceRow {
  /** Requests per day; null = not available on that plan; undefined = no documented limit. */
  perDay: Record<FreepikPlan, number | null | undefined>;
  nodeTypes: readonly string[];
  source: 'S4' | 'docs';
}

export const FREEPIK_SERVICES: Readonly<Record<string, ServiceRow>> = {
  'image-upscaler': {
    perDay: { free: null, premium: 1_250 },
    nodeTypes: ['freepik.upscaler-precision-v2', 'freepik.upscaler-precision-v1', 'freepik.upscaler-creative'],
    source: 'S4',
  },
  'style-transfer': { perDay: { free: null, premium: 1_250 }, nodeTypes: ['freepik.style-transfer'], source: 'S4' },
  'image-relight': { perDay: { free: null, premium: 1_250 }, nodeTypes: ['freepik.relight'], source: 'S4' },
  mystic: { perDay: { free: null, premium: 6_000 }, nodeTypes: ['freepik.mystic'], source: 'S4' },
  icons: {
    perDay: { free: 100, premium: 2_500 },
    nodeTypes: ['freepik.text-to-icon', 'freepik.text-to-icon-preview', 'freepik.text-to-icon-render', 'freepik.stock-icons-search', 'freepik.stock-icon-detail', 'freepik.stock-icon-download'],
    source: 'S4',
  },
  'kling-v2': { perDay: { free: 5, premium: 288 }, nodeTypes: ['freepik.kling-v2'], source: 'S4' },
  'kling-elements-pro': { perDay: { free: 11, premium: 288 }, nodeTypes: ['freepik.kling-elements-pro'], source: 'S4' },
  'kling-elements-std': { perDay: { free: 20, premium: 288 }, nodeTypes: ['freepik.kling-elements-std'], source: 'S4' },
  'remove-background': { perDay: { free: 300, premium: 20_000 }, nodeTypes: ['freepik.remove-background'], source: 'docs' },
  'image-expand': { perDay: { free: 100, premium: 1_250 }, nodeTypes: ['freepik.image-expand-flux-pro'], source: 'docs' },
  reimagine: { perDay: { free: 100, premium: 1_000 }, nodeTypes: ['freepik.reimagine-flux'], source: 'docs' },
  'flux-dev': { perDay: { free: 100, premium: 3_000 }, nodeTypes: ['freepik.flux-dev'], source: 'docs' },
};

/** Per key, all services together (reference §2): 50/s over 5 s, 10/s over 2 min. */
export const FREEPIK_KEY_WINDOWS: readonly RequestWindow[] = [
  { limit: 250, windowMs: 5_000 },
  { limit: 1_200, windowMs: 120_000 },
];

/** What configuration may change for one service (FREEPIK_QUOTAS / EngineConfig.quota.overrides). */
export interface ServiceOverride {
  /** Requests per day; null = no daily limit. */
  perDay?: number | null;
  /** Submissions per second (a 1 s window). */
  perSecond?: number | null;
  /** Tasks in flight at once. */
  concurrent?: number | null;
}

export interface QuotaConfig {
  plan: QuotaPlan;
  /** By service name (a row above, or a node type for the others). */
  overrides?: Record<string, ServiceOverride>;
  /** The per-key windows; default FREEPIK_KEY_WINDOWS on the free/premium plans, none on `none`. */
  keyWindows?: RequestWindow[];
}

export interface ServiceLimits {
  service: string;
  /** Null: not available on this plan. Undefined: no daily limit. */
  perDay: number | null | undefined;
  windows: RequestWindow[];
  concurrent?: number;
  nodeTypes: string[];
}

const serviceByNode = new Map<string, string>(Object.entries(FREEPIK_SERVICES).flatMap(([service, row]) => row.nodeTypes.map((t) => [t, service] as const)));

/** The quota service a node type's requests count against. */
export function serviceOf(nodeType: string): string {
  return serviceByNode.get(nodeType) ?? nodeType;
}

/** Node types counted against a service. */
export function nodeTypesOf(service: string): string[] {
  return [...(FREEPIK_SERVICES[service]?.nodeTypes ?? [service])];
}

/** The policy in force: limits per service for the configured plan and overrides. */
export class QuotaPolicy {
  readonly plan: QuotaPlan;
  readonly keyWindows: RequestWindow[];
  private readonly cache = new Map<string, ServiceLimits>();

  constructor(private readonly config: QuotaConfig) {
    this.plan = config.plan;
    this.keyWindows = config.keyWindows ?? (config.plan === 'none' ? [] : [...FREEPIK_KEY_WINDOWS]);
  }

  limits(service: string): ServiceLimits {
    const cached = this.cache.get(service);
    if (cached) return cached;
    const row = FREEPIK_SERVICES[service];
    const nodeTypes = nodeTypesOf(service);
    const override = this.config.overrides?.[service] ?? {};
    const documentedConcurrency = nodeTypes
      .map((t) => {
        const execution = getNode(t)?.execution;
        return execution?.kind === 'http' ? execution.maxConcurrentTasks : undefined;
      })
      .filter((n): n is number => n !== undefined);
    const perDay = 'perDay' in override ? (override.perDay ?? undefined) : this.plan === 'none' ? undefined : row?.perDay[this.plan];
    const concurrent = 'concurrent' in override ? (override.concurrent ?? undefined) : documentedConcurrency.length ? Math.min(...documentedConcurrency) : undefined;
    const limits: ServiceLimits = {
      service,
      perDay,
      windows: override.perSecond ? [{ limit: override.perSecond, windowMs: 1_000 }] : [],
      ...(concurrent !== undefined ? { concurrent } : {}),
      nodeTypes,
    };
    this.cache.set(service, limits);
    return limits;
  }

  /** Whether submissions of this service need a claim in the database (anything to enforce). */
  enforced(limits: ServiceLimits): boolean {
    return limits.perDay !== undefined || limits.windows.length > 0 || limits.concurrent !== undefined || this.keyWindows.length > 0;
  }

  /** Every service with a row or an override, for the usage view. */
  knownServices(): string[] {
    return [...new Set([...Object.keys(FREEPIK_SERVICES), ...Object.keys(this.config.overrides ?? {})])];
  }
}

/**
 * FREEPIK_PLAN=free|premium|none (default: premium against real Freepik, none against the
 * simulator) and FREEPIK_QUOTAS, a JSON object of overrides by service, e.g.
 * `{"image-upscaler":{"perSecond":5},"kling-v2":{"concurrent":2}}`.
 */
export function quotaConfigFromEnv(env: Record<string, string | undefined>, mode: 'simulator' | 'freepik'): QuotaConfig {
  const rawPlan = env.FREEPIK_PLAN?.trim().toLowerCase();
  if (rawPlan && rawPlan !== 'free' && rawPlan !== 'premium' && rawPlan !== 'none') throw new Error(`FREEPIK_PLAN must be free, premium or none, got "${env.FREEPIK_PLAN}"`);
  const plan: QuotaPlan = (rawPlan as QuotaPlan | undefined) ?? (mode === 'freepik' ? 'premium' : 'none');
  let overrides: Record<string, ServiceOverride> | undefined;
  if (env.FREEPIK_QUOTAS?.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.FREEPIK_QUOTAS);
    } catch {
      throw new Error('FREEPIK_QUOTAS must be a JSON object of overrides by service');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('FREEPIK_QUOTAS must be a JSON object of overrides by service');
    overrides = {};
    for (const [service, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (!value || typeof value !== 'object') throw new Error(`FREEPIK_QUOTAS.${service} must be an object`);
      const o: ServiceOverride = {};
      for (const key of ['perDay', 'perSecond', 'concurrent'] as const) {
        if (!(key in value)) continue;
        const v = (value as Record<string, unknown>)[key];
        if (v !== null && !(Number.isInteger(v) && (v as number) >= 0)) throw new Error(`FREEPIK_QUOTAS.${service}.${key} must be a non-negative integer or null`);
        o[key] = v as number | null;
      }
      overrides[service] = o;
    }
  }
  return { plan, ...(overrides ? { overrides } : {}) };
}
