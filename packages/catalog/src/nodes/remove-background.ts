import { z } from 'zod';
import { defineNode } from '../define-node.ts';
import { body } from './shared-fields.ts';

export const removeBackground = defineNode({
  id: 'freepik.remove-background',
  title: 'Remove background (beta)',
  category: 'image-edit',
  description:
    'Cuts the subject out onto transparency. Takes a public image URL (JPG/PNG ≤ 20 MB); the result URLs live 5 minutes, so they are stored at once.',
  inputs: [
    {
      name: 'image_url',
      type: 'image',
      label: 'Image',
      required: true,
      accepts: 'url',
      // Not in the seeds: docs.freepik.com/api-reference/remove-background gives "≤ 20 MB, JPG/PNG"
      // (shared/reference/freepik-api-behaviour.md §Remove Background, freepik-endpoints.md row 18).
      imageLimits: { maxBytes: 20 * 1024 * 1024, formats: ['image/jpeg', 'image/png'] },
    },
  ],
  outputs: [
    { name: 'image', type: 'image', label: 'Cut-out (high resolution)' },
    { name: 'preview', type: 'image', label: 'Preview (≤ 0.25 MP)' },
  ],
  params: z.object({}),
  execution: {
    kind: 'http',
    service: 'freepik',
    // Synchronous, form-urlencoded, no task envelope: `{original, high_resolution, preview, url}` (S3:411-464).
    mode: 'sync',
    request: ({ inputs }) => ({
      method: 'POST',
      path: '/v1/ai/beta/remove-background',
      encoding: 'form',
      body: { image_url: inputs.image_url },
    }),
    extract: (task) => {
      const b = body(task);
      return { image: b.high_resolution ?? b.url, preview: b.preview };
    },
  },
  docsUrl: 'https://docs.freepik.com/api-reference/remove-background',
});
