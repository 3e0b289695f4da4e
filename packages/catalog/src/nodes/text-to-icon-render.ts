import { z } from 'zod';
import { defineNode } from '../define-node.ts';

export const textToIconRender = defineNode({
  id: 'freepik.text-to-icon-render',
  title: 'Render icon',
  category: 'icons',
  description: 'Renders a generated icon (by its task id) as PNG or SVG.',
  inputs: [{ name: 'task-id', type: 'text', label: 'Icon task id', required: true }],
  outputs: [{ name: 'image', type: 'image', label: 'Icon' }],
  params: z.object({
    'task-id': z.string().min(1, 'connect a text-to-icon task id').describe('Task id of a text-to-icon (preview) run'),
    format: z.enum(['png', 'svg']).default('png'),
  }),
  execution: {
    kind: 'http',
    service: 'freepik',
    // No body, no webhook_url and no status route, so the answer must carry the file: treated as synchronous.
    // The docs example shows IN_PROGRESS with an empty list (S4:6077-6081); the simulator answers COMPLETED.
    mode: 'sync',
    request: ({ params }) => ({
      method: 'POST',
      path: `/v1/ai/text-to-icon/${encodeURIComponent(params['task-id'])}/render/${params.format}`,
    }),
    extract: (task) => ({ image: task.generated[0] }),
  },
  summaryParams: ['format'],
});
