import { z } from 'zod';
import { defineNode } from '../define-node.ts';

/** Reads the stored file's URL from the upload service's (undocumented) response. */
function storedUrl(body: unknown): string | undefined {
  const seen: unknown[] = [body];
  while (seen.length) {
    const v = seen.shift();
    if (typeof v === 'string' && /^https?:\/\//.test(v)) return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // Prefer well-named fields before any other URL-looking string.
      for (const key of ['url', 'file_url', 'fileUrl', 'location', 'secure_url']) if (typeof o[key] === 'string') return o[key] as string;
      seen.push(...Object.values(o));
    }
  }
  return undefined;
}

export const fileServiceUpload = defineNode({
  id: 'storage.file-upload',
  title: 'Upload to file service',
  category: 'storage',
  description:
    'Stores an image in your file-upload service (multipart id + image, FILE_SERVICE_URL) and returns its permanent URL.',
  inputs: [{ name: 'image', type: 'image', label: 'Image', required: true, accepts: 'file' }],
  outputs: [
    { name: 'url', type: 'text', label: 'Stored URL' },
    { name: 'image', type: 'image', label: 'Image' },
  ],
  params: z.object({}),
  execution: {
    kind: 'http',
    service: 'file-service',
    mode: 'sync',
    // The id is the node run's idempotency key, so a retried upload overwrites instead of duplicating.
    request: ({ inputs, idempotencyKey }) => ({
      method: 'POST',
      path: '/api/v1/file/uploads',
      encoding: 'multipart',
      body: { id: idempotencyKey, image: inputs.image },
    }),
    extract: (task) => {
      const url = storedUrl(task.raw);
      return { url, image: url };
    },
  },
});
