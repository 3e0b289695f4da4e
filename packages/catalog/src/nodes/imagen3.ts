import { z } from 'zod';
import { advanced, enumOf } from './shared-fields.ts';
import { defineFreepikTaskNode } from '../freepik-task.ts';

export const imagen3 = defineFreepikTaskNode({
  id: 'freepik.imagen3',
  title: 'Google Imagen 3',
  category: 'image-generation',
  description: 'Text-to-image with Google Imagen 3: 1–4 images per prompt.',
  inputs: [{ name: 'prompt', type: 'text', label: 'Prompt' }],
  outputs: [
    { name: 'image', type: 'image', label: 'First image' },
    { name: 'images', type: 'image[]', label: 'All images' },
  ],
  params: z.object({
    prompt: z.string().min(1, 'write a prompt').describe('What to generate').meta({ ui: 'textarea' }),
    num_images: z.number().int().min(1).max(4).default(1).describe('Images per request'),
    aspect_ratio: enumOf(['square_1_1', 'social_story_9_16', 'widescreen_16_9', 'traditional_3_4', 'classic_4_3']).default('square_1_1'),
    // The seeds hide styling's child attributes; the example (S4:1269-1276) shows style + effects
    // (and no colors, so none are offered here).
    styling: advanced(
      z
        .object({
          style: z.string().optional().describe('e.g. anime, photo'),
          effects: z
            .object({ color: z.string().optional(), lightning: z.string().optional(), framing: z.string().optional() })
            .optional(),
        })
        .optional(),
    ),
    person_generation: advanced(
      enumOf(['dont_allow', 'allow_adult', 'allow_all'], {
        dont_allow: 'No people',
        allow_adult: 'Adults only',
        allow_all: 'Adults and children',
      }).default('allow_all'),
    ),
    safety_settings: advanced(
      enumOf(['block_low_and_above', 'block_medium_and_above', 'block_only_high', 'block_none']).default('block_none'),
    ),
  }),
  task: {
    path: '/v1/ai/text-to-image/imagen3',
    body: ({ params }) => params,
    // `generated` may hold bare base64 (S4:1391-1400); readTask turns it into data URIs.
    extract: (task) => ({ image: task.generated[0], images: task.generated }),
  },
  summaryParams: ['prompt', 'num_images', 'aspect_ratio'],
});
