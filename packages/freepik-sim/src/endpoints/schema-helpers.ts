import { getNode } from '@pikflow/catalog';
import { z } from 'zod';

/** `webhook_url` as every async Freepik body takes it. */
export const webhookUrl = z.url({ protocol: /^https?$/, error: 'webhook_url must be an http(s) URL' });

/** An image as a body field: URL, base64 or data URI (decoding happens in the core). */
export const imageValue = z.string().min(1, 'image must not be empty');

type WithWebhook<E extends z.ZodRawShape> = Omit<{ webhook_url: z.ZodOptional<typeof webhookUrl> }, keyof E> & E;

/**
 * The request body of a catalog node's endpoint: the node's own params schema
 * (field names, ranges, enums, defaults, refinements) extended with the fields
 * that are ports in the catalog (images, prompts wired from other nodes) and
 * `webhook_url` (optional unless `extra` redefines it). Typed as a loose object:
 * the extra fields keep their types, the catalog's read as unknown.
 */
export function nodeBody<E extends z.ZodRawShape>(nodeId: string, extra: E): z.ZodObject<WithWebhook<E>, z.core.$loose> {
  const node = getNode(nodeId);
  if (!node) throw new Error(`freepik-sim: no catalog node ${nodeId}`);
  // safeExtend keeps the node's own refinements (e.g. "either this or that field").
  return node.params.safeExtend({ webhook_url: webhookUrl.optional(), ...extra }) as unknown as z.ZodObject<
    WithWebhook<E>,
    z.core.$loose
  >;
}
