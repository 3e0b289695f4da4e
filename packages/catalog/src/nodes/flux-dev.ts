import { z } from 'zod';
import { compact, defineNode, withWebhook } from '../define-node.ts';
import { MYSTIC_LIKE_ASPECT_RATIOS, prompt, stylingColor } from './shared-fields.ts';

const PATH = '/v1/ai/text-to-image/flux-dev';

export const fluxDev = defineNode({
  id: 'freepik.flux-dev',
  title: 'Flux dev',
  category: 'image-generation',
  description: 'Text-to-image with Flux dev; a fixed seed repeats a result.',
  inputs: [{ name: 'prompt', type: 'text', label: 'Prompt' }],
  outputs: [{ name: 'image', type: 'image', label: 'Image' }],
  params: z.object({
    prompt: prompt('What to generate; empty gives a random image'),
    aspect_ratio: z.enum(MYSTIC_LIKE_ASPECT_RATIOS).default('square_1_1'),
    // Child attributes are hidden in the seeds; the example (S4:1617-1629) shows effects + colors.
    styling: z
      .object({
        effects: z
          .object({ color: z.string().optional(), framing: z.string().optional(), lightning: z.string().optional() })
          .optional(),
        colors: z.array(stylingColor).optional(),
      })
      .optional(),
    seed: z.number().int().min(1).max(4294967295).optional().describe('Random when empty'),
  }),
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'async',
    request: ({ params, webhookUrl }) => ({ method: 'POST', path: PATH, body: withWebhook(compact({ ...params }), webhookUrl) }),
    statusPath: (taskId) => `${PATH}/${taskId}`,
    listPath: PATH,
    extract: (task) => ({ image: task.generated[0] }),
  },
  summaryParams: ['prompt', 'aspect_ratio'],
});
