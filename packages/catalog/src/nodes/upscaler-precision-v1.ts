import { z } from 'zod';
import { defineFreepikTaskNode, firstImage } from '../freepik-task.ts';
import { percent } from './shared-fields.ts';

export const upscalerPrecisionV1 = defineFreepikTaskNode({
  id: 'freepik.upscaler-precision-v1',
  title: 'Magnific Upscaler Precision V1',
  category: 'upscale',
  description: 'Faithful upscale that sharpens and adds fine detail without reinventing the image (Precision V1).',
  inputs: [{ name: 'image', type: 'image', label: 'Image', required: true, accepts: 'base64' }],
  outputs: [{ name: 'image', type: 'image', label: 'Upscaled image' }],
  params: z.object({
    // 50 here, unlike V2's 7 (S3:724-728).
    sharpen: percent(50, 'Edge definition and clarity'),
    smart_grain: percent(7, 'Film grain and texture preservation'),
    ultra_detail: percent(30, 'Fine detail'),
  }),
  task: {
    path: '/v1/ai/image-upscaler-precision',
    body: ({ params, inputs }) => ({ image: inputs.image, ...params }),
    extract: firstImage,
  },
  summaryParams: ['sharpen', 'ultra_detail'],
});
