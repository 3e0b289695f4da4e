import { z } from 'zod';
import { defineFreepikTaskNode, firstImage } from '../freepik-task.ts';
import { advanced, enumOf, MYSTIC_LIKE_ASPECT_RATIOS, prompt, stylingColor } from './shared-fields.ts';

export const fluxDev = defineFreepikTaskNode({
  id: 'freepik.flux-dev',
  title: 'Flux dev',
  category: 'image-generation',
  description: 'Text-to-image with Flux dev; a fixed seed repeats a result.',
  inputs: [{ name: 'prompt', type: 'text', label: 'Prompt' }],
  outputs: [{ name: 'image', type: 'image', label: 'Image' }],
  params: z.object({
    prompt: prompt('What to generate; empty gives a random image'),
    aspect_ratio: enumOf(MYSTIC_LIKE_ASPECT_RATIOS).default('square_1_1'),
    // Child attributes are hidden in the seeds; the example (S4:1617-1629) shows effects + colors.
    styling: advanced(
      z
        .object({
          effects: z
            .object({ color: z.string().optional(), framing: z.string().optional(), lightning: z.string().optional() })
            .optional(),
          colors: z.array(stylingColor).optional(),
        })
        .optional(),
    ),
    seed: advanced(z.number().int().min(1).max(4294967295).optional().describe('Random when empty')),
  }),
  task: {
    path: '/v1/ai/text-to-image/flux-dev',
    body: ({ params }) => params,
    extract: firstImage,
  },
  summaryParams: ['prompt', 'aspect_ratio'],
});
