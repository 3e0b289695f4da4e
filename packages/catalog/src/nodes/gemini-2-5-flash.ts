import { z } from 'zod';
import { compact, defineNode, withWebhook } from '../define-node.ts';

const PATH = '/v1/ai/gemini-2-5-flash-image-preview';

export const gemini25Flash = defineNode({
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
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'async',
    request: ({ params, inputs, webhookUrl }) => ({
      method: 'POST',
      path: PATH,
      body: withWebhook(
        compact({
          prompt: params.prompt,
          reference_images: (inputs.reference_images as string[] | undefined)?.length
            ? (inputs.reference_images as string[])
            : undefined,
        }),
        webhookUrl,
      ),
    }),
    statusPath: (taskId) => `${PATH}/${taskId}`,
    listPath: PATH,
    extract: (task) => ({ image: task.generated[0] }),
  },
  summaryParams: ['prompt'],
  docsUrl: 'https://docs.freepik.com/api-reference/text-to-image/google/post-gemini-2-5-flash-image-preview',
});
