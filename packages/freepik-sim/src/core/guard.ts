import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SimConfig } from './config.ts';
import { SimHttpError } from './errors.ts';
import type { StatsRecorder } from './stats.ts';

export const API_KEY_HEADER = 'x-freepik-api-key';

/** Freepik's per-key sliding windows: a request is admitted only if every window has room. */
export class RateLimiter {
  private hits = new Map<string, number[]>();

  /** Records the hit and returns 0, or returns the seconds until the key may retry. */
  admit(apiKey: string, windows: SimConfig['rateLimits'], now = Date.now()): number {
    if (!windows || windows.length === 0) return 0;
    const longest = Math.max(...windows.map((w) => w.windowMs));
    const hits = this.hits.get(apiKey) ?? [];
    while (hits.length && hits[0] <= now - longest) hits.shift();
    let waitMs = 0;
    for (const w of windows) {
      const inWindow = hits.filter((t) => t > now - w.windowMs);
      // The oldest hit that must leave the window before there is room again.
      if (inWindow.length >= w.limit) waitMs = Math.max(waitMs, inWindow[inWindow.length - w.limit] + w.windowMs - now);
    }
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    hits.push(now);
    this.hits.set(apiKey, hits);
    return 0;
  }

  reset(): void {
    this.hits.clear();
  }
}

export interface GuardDeps {
  config: () => SimConfig;
  rng: () => number;
  stats: StatsRecorder;
  limiter: RateLimiter;
}

/** The caller's key: the header value (auth already ran on /v1/ routes). */
export function apiKeyOf(request: FastifyRequest): string {
  const value = request.headers[API_KEY_HEADER];
  return (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
}

/**
 * onRequest for every /v1/ route, in Freepik's order: authentication, the
 * per-key rate limit, then injected faults (429 / 500 / 503 by configured fraction).
 */
export function createGuard(deps: GuardDeps) {
  return async function guard(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const config = deps.config();
    const apiKey = apiKeyOf(request);
    if (!apiKey) throw new SimHttpError(401, { message: 'Missing API key' });
    if (config.apiKeys.length > 0 && !config.apiKeys.includes(apiKey)) throw new SimHttpError(401, { message: 'Invalid API key' });
    deps.stats.request(apiKey);

    const retryAfter = deps.limiter.admit(apiKey, config.rateLimits);
    if (retryAfter > 0) {
      deps.stats.refused(apiKey, 'rateLimited');
      throw new SimHttpError(429, { message: 'Rate limit exceeded. Please slow down.' }, { 'retry-after': String(retryAfter) });
    }

    const { http429, http500, http503, retryAfterSeconds } = config.faults;
    if (http429 + http500 + http503 <= 0) return;
    const draw = deps.rng();
    if (draw < http429) {
      deps.stats.refused(apiKey, 'injected429');
      throw new SimHttpError(429, { message: 'Rate limit exceeded. Please slow down.' }, { 'retry-after': String(retryAfterSeconds) });
    }
    if (draw < http429 + http500) {
      deps.stats.refused(apiKey, 'injected500');
      throw new SimHttpError(500, { message: 'Internal Server Error' });
    }
    if (draw < http429 + http500 + http503) {
      deps.stats.refused(apiKey, 'injected503');
      throw new SimHttpError(503, { message: 'Service Unavailable. Please try again later.' });
    }
  };
}
