import { z } from 'zod';
import { defineFreepikTaskNode, firstImage } from '../freepik-task.ts';
import { advanced, enumOf, magnificEngine, prompt } from './shared-fields.ts';

const nudge = (what: string) => z.number().int().min(-10).max(10).default(0).describe(what);

export const upscalerCreative = defineFreepikTaskNode({
  id: 'freepik.upscaler-creative',
  title: 'Magnific creative upscaler',
  category: 'upscale',
  description: 'Upscales 2–16× and reinvents detail, guided by a prompt (premium accounts; result at most 25.3 MP).',
  inputs: [
    {
      name: 'image',
      type: 'image',
      label: 'Image',
      required: true,
      accepts: 'base64',
      // "The resulted image can't exceed maximum allowed size of 25.3 million pixels" (S2:43-44, S4:2027).
      imageLimits: { maxOutputMegapixels: { megapixels: 25.3, scaleParam: 'scale_factor' } },
    },
    { name: 'prompt', type: 'text', label: 'Prompt' },
  ],
  outputs: [{ name: 'image', type: 'image', label: 'Upscaled image' }],
  params: z.object({
    scale_factor: enumOf(['2x', '4x', '8x', '16x'], { '2x': '2×', '4x': '4×', '8x': '8×', '16x': '16×' }).default('2x'),
    optimized_for: enumOf(
      [
        'standard',
        'soft_portraits',
        'hard_portraits',
        'art_n_illustration',
        'videogame_assets',
        'nature_n_landscapes',
        'films_n_photography',
        '3d_renders',
        'science_fiction_n_horror',
      ],
      { videogame_assets: 'Video game assets' },
    ).default('standard'),
    prompt: prompt('Guides the added detail'),
    creativity: nudge('How much the AI may invent'),
    resemblance: nudge('Resemblance to the original'),
    hdr: advanced(nudge('Definition and detail')),
    fractality: advanced(nudge('Strength of the prompt per square pixel')),
    engine: advanced(magnificEngine()),
  }),
  task: {
    path: '/v1/ai/image-upscaler',
    body: ({ params, inputs }) => ({ image: inputs.image, ...params }),
    extract: firstImage,
  },
  summaryParams: ['scale_factor', 'optimized_for'],
});
