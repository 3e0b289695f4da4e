import { z } from 'zod';
import { compact, defineNode } from '../define-node.ts';
import { enumOf, MYSTIC_LIKE_ASPECT_RATIOS, prompt } from './shared-fields.ts';

export const reimagineFlux = defineNode({
  id: 'freepik.reimagine-flux',
  title: 'Reimagine Flux (beta)',
  category: 'image-edit',
  description: 'Reimagines an image, optionally guided by a prompt. Synchronous beta endpoint: the answer holds the image.',
  inputs: [
    { name: 'image', type: 'image', label: 'Image', required: true, accepts: 'base64' },
    { name: 'prompt', type: 'text', label: 'Prompt' },
  ],
  outputs: [{ name: 'image', type: 'image', label: 'Image' }],
  params: z.object({
    prompt: prompt('Guidance for the reimagination'),
    imagination: enumOf(['wild', 'subtle', 'vivid']).optional(),
    aspect_ratio: enumOf(['original', ...MYSTIC_LIKE_ASPECT_RATIOS]).default('original'),
  }),
  execution: {
    kind: 'http',
    service: 'freepik',
    // Synchronous: the POST answers `{data:{status:COMPLETED, generated:[url]}}` (S4:1959-1967).
    mode: 'sync',
    request: ({ params, inputs }) => ({
      method: 'POST',
      path: '/v1/ai/beta/text-to-image/reimagine-flux',
      body: compact({ image: inputs.image, ...params }),
    }),
    extract: (task) => ({ image: task.generated[0] }),
  },
  summaryParams: ['prompt', 'imagination'],
});
