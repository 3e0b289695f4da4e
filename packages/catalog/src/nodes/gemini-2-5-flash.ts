import { z } from 'zod';
import { defineFreepikTaskNode, firstImage } from '../freepik-task.ts';

export const gemini25Flash = defineFreepikTaskNode({
  id: 'freepik.gemini-2-5-flash',
  title: 'Gemini 2.5 Flash image edit',
  category: 'image-edit',
  description:
    'Generates or edits an image from a prompt and up to 3 reference images, keeping subject identity (Nano Banana).',
  inputs: [
    { name: 'reference_images', type: 'image[]', label: 'Reference images', accepts: 'both', maxItems: 3 },
    { name: 'prompt', type: 'text', label: 'Prompt' },
  ],
  outputs: [{ name: 'image', type: 'image', label: 'Image' }],
  params: z.object({
    prompt: z.string().min(1, 'write a prompt').describe('What to generate or how to edit the references').meta({ ui: 'textarea' }),
  }),
  task: {
    path: '/v1/ai/gemini-2-5-flash-image-preview',
    body: ({ params, inputs }) => ({
      prompt: params.prompt,
      reference_images: (inputs.reference_images as string[] | undefined)?.length ? inputs.reference_images : undefined,
    }),
    extract: firstImage,
  },
  summaryParams: ['prompt'],
  docsUrl: 'https://docs.freepik.com/api-reference/text-to-image/google/post-gemini-2-5-flash-image-preview',
});
