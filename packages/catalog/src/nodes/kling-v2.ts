import { z } from 'zod';
import { compact, defineNode, withWebhook } from '../define-node.ts';
import { klingCfgScale, klingDuration, prompt } from './shared-fields.ts';

const PATH = '/v1/ai/image-to-video/kling-v2';

export const klingV2 = defineNode({
  id: 'freepik.kling-v2',
  title: 'Kling v2 video',
  category: 'video',
  description: 'Animates an image into a 5 or 10 second video with Kling v2 (at most 3 tasks at once per key).',
  inputs: [
    { name: 'image', type: 'image', label: 'Start image', required: true, accepts: 'both' },
    { name: 'prompt', type: 'text', label: 'Prompt' },
  ],
  outputs: [{ name: 'video', type: 'video', label: 'Video' }],
  params: z.object({
    duration: klingDuration,
    prompt: prompt('Motion to generate', 2500),
    negative_prompt: prompt('What to avoid in the video', 2500),
    cfg_scale: klingCfgScale,
  }),
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'async',
    request: ({ params, inputs, webhookUrl }) => ({
      method: 'POST',
      path: PATH,
      body: withWebhook(compact({ image: inputs.image, ...params }), webhookUrl),
    }),
    statusPath: (taskId) => `${PATH}/${taskId}`,
    listPath: PATH,
    extract: (task) => ({ video: task.generated[0] }),
    // "The service allows up to 3 concurrent requests per user" (S4:4683).
    maxConcurrentTasks: 3,
  },
  summaryParams: ['duration', 'prompt'],
});
