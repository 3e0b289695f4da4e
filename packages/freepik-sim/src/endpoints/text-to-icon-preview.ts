import { drawTaskIcon } from './text-to-icon.ts';
import { defineTaskEndpoint } from './types.ts';
import { textToIconPreviewBody } from './seed-rules.ts';

/** Text to icon preview: a PNG preview by webhook only; render it with /{task-id}/render/{format} (S4:5829-5965). */
export const textToIconPreview = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.text-to-icon-preview',
  path: '/v1/ai/text-to-icon/preview',
  mode: 'webhook-only',
  body: textToIconPreviewBody,
  latencyMs: 2_000,
  async produce({ body, taskId }) {
    return { files: [await drawTaskIcon(taskId, body, 'png', 256)] };
  },
});
