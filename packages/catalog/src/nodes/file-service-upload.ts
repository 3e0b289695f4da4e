import { z } from 'zod';
import { defineNode } from '../define-node.ts';
import { PikflowError } from '../errors.ts';

const URL_FIELDS = ['url', 'file_url', 'fileUrl', 'location', 'secure_url'];
const ABSOLUTE = /^https?:\/\//i;

/**
 * Reads the stored file's URL from the upload service's response, whose shape seed 003
 * does not document (it only prints `response.json()`): the first well-named field, else
 * any absolute http(s) URL, breadth first. A well-named field holding a relative path is
 * refused: the URL becomes the pipeline's "generated image" and is used elsewhere, where a
 * path means nothing (see docs/catalog.md, "Undocumented guesses").
 */
function storedUrl(body: unknown): string {
  const seen: unknown[] = [body];
  while (seen.length) {
    const v = seen.shift();
    if (typeof v === 'string' && ABSOLUTE.test(v)) return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const key of URL_FIELDS) {
        const value = o[key];
        if (typeof value !== 'string') continue;
        if (ABSOLUTE.test(value)) return value;
        throw new PikflowError(
          'upstream_error',
          `the file service answered ${key} "${value.slice(0, 200)}", which is not an absolute http(s) URL; a relative path cannot be the stored image's URL (make the service return a full URL)`,
        );
      }
      seen.push(...Object.values(o));
    }
  }
  throw new PikflowError('upstream_error', 'the file service answered no http(s) URL of the stored file (its response shape is undocumented: seed 003)');
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
