/**
 * Freepik webhook verification (seed 004; Standard Webhooks scheme):
 * `webhook-signature` holds space-separated `v1,<base64>` entries; each is
 * HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${rawBody}` keyed with the
 * secret's UTF-8 bytes. Any matching entry is accepted (compared in constant time).
 * The timestamp (seconds) must be within ±5 minutes; the webhook-id must be new.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PikflowError } from '@pikflow/catalog';

export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const direct = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(direct) ? direct[0] : direct;
}

export function signWebhook(secret: string, id: string, timestamp: number | string, rawBody: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${id}.${timestamp}.${rawBody}`).digest('base64');
}

/** Checks headers and signature; returns the webhook id. Throws PikflowError('webhook_rejected'). */
export function verifyWebhook(
  secret: string,
  request: { headers: Headers; rawBody: string },
  nowMs = Date.now(),
): { webhookId: string; timestamp: number } {
  const reject = (reason: string): never => {
    throw new PikflowError('webhook_rejected', `webhook refused: ${reason}`);
  };
  const webhookId = header(request.headers, 'webhook-id');
  const timestampText = header(request.headers, 'webhook-timestamp');
  const signatures = header(request.headers, 'webhook-signature');
  if (!webhookId || !timestampText || !signatures) return reject('the webhook-id, webhook-timestamp and webhook-signature headers are required');
  if (!/^\d{1,12}$/.test(timestampText.trim())) return reject('webhook-timestamp must be Unix seconds');
  const timestamp = Number(timestampText.trim());
  if (Math.abs(nowMs / 1000 - timestamp) > WEBHOOK_TOLERANCE_SECONDS) return reject('the timestamp is more than 5 minutes away from now');
  const expected = Buffer.from(signWebhook(secret, webhookId, timestampText.trim(), request.rawBody), 'base64');
  const matched = signatures
    .split(' ')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .some((entry) => {
      const comma = entry.indexOf(',');
      if (comma < 0) return false;
      const given = Buffer.from(entry.slice(comma + 1), 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  if (!matched) return reject('the signature does not match');
  return { webhookId, timestamp };
}

/**
 * The tag that makes the correlation in a webhook URL (`node_run`, `attempt`) ours: Freepik signs
 * the body, not the URL, so a signed delivery replayed to a URL naming another node run would
 * otherwise be adopted there. HMAC of the pair under the webhook secret, 128 bits, URL-safe.
 */
export function webhookCorrelationTag(secret: string, nodeRunId: string, attempt: number): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`correlation.${nodeRunId}.${attempt}`).digest('base64url').slice(0, 22);
}

export function correlationTagMatches(secret: string, nodeRunId: string, attempt: number, tag: unknown): boolean {
  if (typeof tag !== 'string') return false;
  const expected = Buffer.from(webhookCorrelationTag(secret, nodeRunId, attempt));
  const given = Buffer.from(tag);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
