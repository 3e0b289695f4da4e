import { z } from 'zod';
import { enumOf } from './shared-fields.ts';
import { defineNode } from '../define-node.ts';

export const textToIconRender = defineNode({
  id: 'freepik.text-to-icon-render',
  title: 'Render icon',
  category: 'icons',
  description: 'Renders a generated icon (by its task id) as PNG or SVG. The file arrives by webhook, so webhooks must be on.',
  inputs: [{ name: 'task-id', type: 'text', label: 'Icon task id', required: true }],
  outputs: [{ name: 'image', type: 'image', label: 'Icon' }],
  params: z.object({
    'task-id': z.string().min(1, 'connect a text-to-icon task id').describe('Task id of a text-to-icon (preview) run'),
    format: enumOf(['png', 'svg']).default('png'),
  }),
  execution: {
    kind: 'http',
    service: 'freepik',
    // The documented answer is a task "in progress" with no file (S4:6011-6081), and there is no
    // status route: the result reaches the webhook the icon task was created with (text-to-icon
    // requires one), as this render task's COMPLETED status. Should Freepik answer COMPLETED with
    // the file at once, the engine takes it from the answer.
    mode: 'webhook-only',
    request: ({ params }) => ({
      method: 'POST',
      path: `/v1/ai/text-to-icon/${encodeURIComponent(params['task-id'])}/render/${params.format}`,
    }),
    extract: (task) => ({ image: task.generated[0] }),
  },
  summaryParams: ['format'],
});
