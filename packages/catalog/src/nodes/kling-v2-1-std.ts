import { compact, defineNode, withWebhook } from '../define-node.ts';
import { PikflowError } from '../errors.ts';
import { NEEDS_IMAGE_OR_PROMPT, klingV21Params } from './shared-fields.ts';

const PATH = '/v1/ai/image-to-video/kling-v2-1-std';

export const klingV21Std = defineNode({
  id: 'freepik.kling-v2-1-std',
  title: 'Kling 2.1 Std video',
  category: 'video',
  description: 'Animates an image (or a prompt alone) into a 5 or 10 second video with Kling 2.1 Std.',
  inputs: [
    { name: 'image', type: 'image', label: 'Start image', accepts: 'both' },
    { name: 'prompt', type: 'text', label: 'Prompt' },
    { name: 'static_mask', type: 'image', label: 'Static mask (motion brush)', accepts: 'both' },
  ],
  outputs: [{ name: 'video', type: 'video', label: 'Video' }],
  params: klingV21Params,
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'async',
    request: ({ params, inputs, webhookUrl }) => {
      if (!inputs.image && !params.prompt) throw new PikflowError('invalid_input', NEEDS_IMAGE_OR_PROMPT, { field: 'prompt' });
      return {
        method: 'POST',
        path: PATH,
        body: withWebhook(
          compact({ image: inputs.image as string | undefined, static_mask: inputs.static_mask as string | undefined, ...params }),
          webhookUrl,
        ),
      };
    },
    // Docs: the shared kling-v2-1 route (S4:4648); Freepik's own example polls kling-v2-1-std/{id}, the simulator answers both.
    statusPath: (taskId) => `/v1/ai/image-to-video/kling-v2-1/${taskId}`,
    listPath: PATH,
    extract: (task) => ({ video: task.generated[0] }),
  },
  summaryParams: ['duration', 'prompt'],
});
