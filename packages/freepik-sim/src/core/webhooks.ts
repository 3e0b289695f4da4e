import { createHmac, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the secret as UTF-8 bytes (seed 004). */
export function signWebhook(secret: string, id: string, timestamp: number, rawBody: string): string {
  const digest = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${id}.${timestamp}.${rawBody}`).digest('base64');
  return `v1,${digest}`;
}

export interface WebhookSettings {
  secret: string;
  retries: number;
  retryBaseMs: number;
  timeoutMs: number;
}

export type DeliveryOutcome = 'attempts' | 'delivered' | 'failed';

/**
 * Delivers webhook messages: one ordered queue per task (IN_PROGRESS before
 * COMPLETED), retries with doubling backoff, never throws. The message id stays
 * the same across retries of one message; timestamp and signature are fresh.
 */
export class WebhookSender {
  private queues = new Map<string, Promise<void>>();
  private aborter = new AbortController();

  constructor(
    private settings: () => WebhookSettings,
    private record: (apiKey: string, outcome: DeliveryOutcome) => void,
    private log: FastifyBaseLogger,
  ) {}

  enqueue(queueKey: string, apiKey: string, url: string, payload: unknown): void {
    const previous = this.queues.get(queueKey) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(apiKey, url, payload));
    this.queues.set(queueKey, next);
    void next.finally(() => {
      if (this.queues.get(queueKey) === next) this.queues.delete(queueKey);
    });
  }

  /** Resolves when every queued delivery has finished (delivered or given up). */
  async idle(): Promise<void> {
    while (this.queues.size) await Promise.allSettled([...this.queues.values()]);
  }

  close(): void {
    this.aborter.abort();
  }

  private async deliver(apiKey: string, url: string, payload: unknown): Promise<void> {
    const id = `msg_${randomUUID()}`;
    const rawBody = JSON.stringify(payload);
    const signal = this.aborter.signal;
    const { retries, retryBaseMs } = this.settings();
    for (let attempt = 0; attempt <= retries && !signal.aborted; attempt++) {
      if (attempt > 0) await sleep(retryBaseMs * 2 ** (attempt - 1), signal);
      if (signal.aborted) break;
      const { secret, timeoutMs } = this.settings();
      const timestamp = Math.floor(Date.now() / 1000);
      this.record(apiKey, 'attempts');
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(secret, id, timestamp, rawBody),
          },
          body: rawBody,
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          this.record(apiKey, 'delivered');
          return;
        }
        this.log.warn({ webhookId: id, status: response.status, attempt }, 'webhook refused by the receiver');
      } catch (e) {
        this.log.debug({ webhookId: id, err: (e as Error).message, attempt }, 'webhook delivery failed');
      }
    }
    this.record(apiKey, 'failed');
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
