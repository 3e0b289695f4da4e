import { createHash } from 'node:crypto';

/** What /__sim/stats counts, once overall and once per API key. */
export interface SimCounters {
  /** Requests to /v1/ that passed authentication (including those then limited or faulted). */
  requests: number;
  /** Tasks created (2xx on a create route), per endpoint id. */
  submissions: Record<string, number>;
  /** Create requests refused with 400, per endpoint id. */
  invalid: Record<string, number>;
  /** Single-task status reads, per endpoint id of the task. */
  polls: Record<string, number>;
  /** List-all calls, per endpoint id. */
  lists: Record<string, number>;
  webhooks: { attempts: number; delivered: number; failed: number };
  /** Requests refused by the per-key rate limit or concurrency cap, injected faults by kind. */
  refused: { rateLimited: number; injected429: number; injected500: number; injected503: number; concurrency: number; lostResponses: number };
}

export interface SimStats extends SimCounters {
  totals: { submissions: number; polls: number; lists: number; webhookDeliveries: number };
  /** Counters per API key, keyed by `keyLabel(key)` (a fingerprint, never the key). */
  byKey: Record<string, SimCounters>;
}

export type CountKind = 'submission' | 'invalid' | 'poll' | 'list';

/** A stable, non-secret label for an API key. */
export function keyLabel(apiKey: string): string {
  return `key_${createHash('sha256').update(apiKey).digest('hex').slice(0, 12)}`;
}

const emptyCounters = (): SimCounters => ({
  requests: 0,
  submissions: {},
  invalid: {},
  polls: {},
  lists: {},
  webhooks: { attempts: 0, delivered: 0, failed: 0 },
  refused: { rateLimited: 0, injected429: 0, injected500: 0, injected503: 0, concurrency: 0, lostResponses: 0 },
});

const FIELD: Record<CountKind, 'submissions' | 'invalid' | 'polls' | 'lists'> = {
  submission: 'submissions',
  invalid: 'invalid',
  poll: 'polls',
  list: 'lists',
};

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

export class StatsRecorder {
  private total = emptyCounters();
  private perKey = new Map<string, SimCounters>();

  private both(apiKey: string): SimCounters[] {
    const label = keyLabel(apiKey);
    let counters = this.perKey.get(label);
    if (!counters) this.perKey.set(label, (counters = emptyCounters()));
    return [this.total, counters];
  }

  request(apiKey: string): void {
    for (const c of this.both(apiKey)) c.requests++;
  }

  count(apiKey: string, endpointId: string, kind: CountKind): void {
    for (const c of this.both(apiKey)) {
      const bucket = c[FIELD[kind]];
      bucket[endpointId] = (bucket[endpointId] ?? 0) + 1;
    }
  }

  refused(apiKey: string, reason: keyof SimCounters['refused']): void {
    for (const c of this.both(apiKey)) c.refused[reason]++;
  }

  webhook(apiKey: string, outcome: keyof SimCounters['webhooks']): void {
    for (const c of this.both(apiKey)) c.webhooks[outcome]++;
  }

  snapshot(): SimStats {
    const copy = (c: SimCounters): SimCounters => structuredClone(c);
    return {
      ...copy(this.total),
      totals: {
        submissions: sum(this.total.submissions),
        polls: sum(this.total.polls),
        lists: sum(this.total.lists),
        webhookDeliveries: this.total.webhooks.delivered,
      },
      byKey: Object.fromEntries([...this.perKey].map(([label, c]) => [label, copy(c)])),
    };
  }

  reset(): void {
    this.total = emptyCounters();
    this.perKey.clear();
  }
}
