import { z } from 'zod';
import { defineFreepikTaskNode, firstImage } from '../freepik-task.ts';
import { prompt } from './shared-fields.ts';

const side = (where: string) =>
  z.number().int().min(0).max(2048).nullable().optional().describe(`Pixels to add on the ${where}`);

export const imageExpandFluxPro = defineFreepikTaskNode({
  id: 'freepik.image-expand-flux-pro',
  title: 'Image expand (Flux Pro)',
  category: 'image-edit',
  description: 'Outpaints an image: adds up to 2048 px on each side, filled to match (and guided by a prompt).',
  inputs: [
    { name: 'image', type: 'image', label: 'Image', required: true, accepts: 'base64' },
    { name: 'prompt', type: 'text', label: 'Prompt' },
  ],
  outputs: [{ name: 'image', type: 'image', label: 'Expanded image' }],
  params: z.object({
    prompt: prompt('What the new areas should show'),
    left: side('left'),
    right: side('right'),
    top: side('top'),
    bottom: side('bottom'),
  }),
  task: {
    path: '/v1/ai/image-expand/flux-pro',
    body: ({ params, inputs }) => ({ image: inputs.image, ...params }),
    extract: firstImage,
  },
  summaryParams: ['left', 'right', 'top', 'bottom'],
});
