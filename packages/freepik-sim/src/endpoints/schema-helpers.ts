import { z } from 'zod';

/** `webhook_url` as every async Freepik body takes it. */
export const webhookUrl = z.url({ protocol: /^https?$/, error: 'webhook_url must be an http(s) URL' });

/** An image as a body field: URL, base64 or data URI (decoding happens in the core). */
export const imageValue = z.string().min(1, 'image must not be empty');
