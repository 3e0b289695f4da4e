/**
 * What Kling Elements pro and std share (S4:5000-5661): ports, body fields, the
 * shared status route and the per-key task limit. Each variant's own file names
 * its id and create path.
 */
import { z } from 'zod';
import { defineFreepikTaskNode, firstVideo } from '../freepik-task.ts';
import { advanced, enumOf, klingDuration, klingJpegPngLimits, prompt } from './shared-fields.ts';

const klingElementsParams = z.object({
  prompt: prompt('What the video should show', 2500),
  negative_prompt: advanced(prompt('What to avoid in the video', 2500)),
  // Optional here, unlike the other Kling endpoints (S4:5048-5052).
  duration: klingDuration.optional(),
  aspect_ratio: enumOf(['widescreen_16_9', 'social_story_9_16', 'square_1_1']).default('widescreen_16_9'),
});

export interface KlingElementsVariant {
  id: string;
  /** e.g. `Kling Elements Pro`: the title and description name it. */
  model: string;
  /** Create path (POST); also the list route. */
  path: string;
}

export function klingElementsNode({ id, model, path }: KlingElementsVariant) {
  return defineFreepikTaskNode({
    id,
    title: `${model} video`,
    category: 'video',
    description: `Combines up to 4 element images (public URLs) into one video with ${model} (at most 3 tasks at once per key).`,
    inputs: [
      { name: 'images', type: 'image[]', label: 'Element images', required: true, accepts: 'url', minItems: 1, maxItems: 4, imageLimits: klingJpegPngLimits },
      { name: 'prompt', type: 'text', label: 'Prompt' },
    ],
    outputs: [{ name: 'video', type: 'video', label: 'Video' }],
    params: klingElementsParams,
    task: {
      path,
      body: ({ params, inputs }) => ({ images: inputs.images, ...params }),
      // Pro and std both poll the shared kling-elements route (S4:5313, 5644).
      statusPath: (taskId) => `/v1/ai/image-to-video/kling-elements/${taskId}`,
      extract: firstVideo,
      // "The service allows up to 3 concurrent requests per user" (S4:5017, 5348).
      maxConcurrentTasks: 3,
    },
    summaryParams: ['duration', 'aspect_ratio'],
  });
}
