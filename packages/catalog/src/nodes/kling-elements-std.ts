import { compact, defineNode, withWebhook } from '../define-node.ts';
import { klingElementsParams } from './shared-fields.ts';

const PATH = '/v1/ai/image-to-video/kling-elements-std';

export const klingElementsStd = defineNode({
  id: 'freepik.kling-elements-std',
  title: 'Kling Elements Std video',
  category: 'video',
  description: 'Combines up to 4 element images (public URLs) into one video with Kling Elements Std (at most 3 tasks at once per key).',
  inputs: [
    { name: 'images', type: 'image[]', label: 'Element images', required: true, accepts: 'url', minItems: 1, maxItems: 4 },
    { name: 'prompt', type: 'text', label: 'Prompt' },
  ],
  outputs: [{ name: 'video', type: 'video', label: 'Video' }],
  params: klingElementsParams,
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'async',
    request: ({ params, inputs, webhookUrl }) => ({
      method: 'POST',
      path: PATH,
      body: withWebhook(compact({ images: inputs.images, ...params }), webhookUrl),
    }),
    // Pro and std both poll the shared kling-elements route (S4:5313, 5644).
    statusPath: (taskId) => `/v1/ai/image-to-video/kling-elements/${taskId}`,
    listPath: PATH,
    extract: (task) => ({ video: task.generated[0] }),
    // "The service allows up to 3 concurrent requests per user" (S4:5017, 5348).
    maxConcurrentTasks: 3,
  },
  summaryParams: ['duration', 'aspect_ratio'],
});
