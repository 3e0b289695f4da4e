import { z } from 'zod';
import { defineFreepikTaskNode, firstVideo } from '../freepik-task.ts';
import { advanced, klingCfgScale, klingDuration, klingImageLimits, prompt } from './shared-fields.ts';

export const klingV2 = defineFreepikTaskNode({
  id: 'freepik.kling-v2',
  title: 'Kling v2 video',
  category: 'video',
  description: 'Animates an image into a 5 or 10 second video with Kling v2 (at most 3 tasks at once per key).',
  inputs: [
    { name: 'image', type: 'image', label: 'Start image', required: true, accepts: 'both', imageLimits: klingImageLimits },
    { name: 'prompt', type: 'text', label: 'Prompt' },
  ],
  outputs: [{ name: 'video', type: 'video', label: 'Video' }],
  params: z.object({
    duration: klingDuration,
    prompt: prompt('Motion to generate', 2500),
    negative_prompt: advanced(prompt('What to avoid in the video', 2500)),
    cfg_scale: klingCfgScale,
  }),
  task: {
    path: '/v1/ai/image-to-video/kling-v2',
    body: ({ params, inputs }) => ({ image: inputs.image, ...params }),
    extract: firstVideo,
    // "The service allows up to 3 concurrent requests per user" (S4:4683).
    maxConcurrentTasks: 3,
  },
  summaryParams: ['duration', 'prompt'],
});
