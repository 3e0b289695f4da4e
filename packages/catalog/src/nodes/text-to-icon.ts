import { z } from 'zod';
import { enumOf } from './shared-fields.ts';
import { defineFreepikTaskNode } from '../freepik-task.ts';

export const textToIcon = defineFreepikTaskNode({
  id: 'freepik.text-to-icon',
  title: 'Text to icon',
  category: 'icons',
  description: 'Generates an icon (PNG or SVG) from a prompt. Results arrive only by webhook, so webhooks must be on.',
  inputs: [{ name: 'prompt', type: 'text', label: 'Prompt' }],
  outputs: [
    { name: 'image', type: 'image', label: 'Icon' },
    { name: 'task_id', type: 'text', label: 'Task id', description: 'Feeds "Render icon" for another format' },
  ],
  params: z.object({
    prompt: z.string().min(1, 'write a prompt').describe('The icon to draw').meta({ ui: 'textarea' }),
    format: enumOf(['png', 'svg']).default('png'),
    style: enumOf(['solid', 'outline', 'color', 'flat', 'sticker']).default('solid'),
    num_inference_steps: z.number().int().min(10).max(50).optional().describe('More steps: slower, finer'),
    guidance_scale: z.number().min(0).max(10).optional().describe('How strictly to follow the prompt'),
  }),
  task: {
    path: '/v1/ai/text-to-icon',
    // `webhook_url` is required and there is no status route (S4:5662-5809).
    mode: 'webhook-only',
    body: ({ params }) => params,
    extract: (task) => ({ image: task.generated[0], task_id: task.taskId }),
  },
  summaryParams: ['prompt', 'style', 'format'],
});
