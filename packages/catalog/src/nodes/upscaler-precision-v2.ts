import { z } from 'zod';
import { defineFreepikTaskNode, firstImage } from '../freepik-task.ts';
import { enumOf, percent } from './shared-fields.ts';

export const upscalerPrecisionV2 = defineFreepikTaskNode({
  id: 'freepik.upscaler-precision-v2',
  title: 'Magnific Upscaler Precision V2',
  category: 'upscale',
  description: 'Upscales an image 2–16× while adding detail (Magnific Precision V2).',
  inputs: [{ name: 'image', type: 'image', label: 'Image', required: true, accepts: 'both' }],
  outputs: [{ name: 'image', type: 'image', label: 'Upscaled image' }],
  params: z.object({
    sharpen: percent(7, 'Edge definition and clarity'),
    smart_grain: percent(7, 'Film grain and texture preservation'),
    ultra_detail: percent(30, 'Fine detail: textures, patterns, micro-details'),
    flavor: enumOf(['sublime', 'photo', 'photo_denoiser'], {
      sublime: 'Sublime (art and illustration)',
      photo: 'Photo',
      photo_denoiser: 'Photo denoiser (noisy photos)',
    })
      .optional()
      .describe('What kind of image it is'),
    // The API takes 2–16 as an integer or as the same digits in a string. Required, with no
    // default: seed 000 says so (S0:249, "Recommended: 4"), though the OpenAPI leaves it optional (S1:205-208).
    scale_factor: z
      .union([
        z.number().int().min(2).max(16),
        z.string().regex(/^(?:[2-9]|1[0-6])$/, 'scale_factor must be 2–16'),
      ])
      .describe('Multiplier of width and height (2–16); 4 is recommended'),
  }),
  task: {
    path: '/v1/ai/image-upscaler-precision-v2',
    body: ({ params, inputs }) => ({ image: inputs.image, ...params }),
    extract: firstImage,
  },
  summaryParams: ['scale_factor', 'flavor'],
  docsUrl: 'https://docs.freepik.com/api-reference/image-upscaler-precision-v2/post-image-upscaler-precision-v2',
});
