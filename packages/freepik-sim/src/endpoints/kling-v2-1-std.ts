import { checkKlingImage, klingV21Body, klingVideo } from './kling-video.ts';
import { defineTaskEndpoint } from './types.ts';

/** Kling 2.1 Std: POST answers `{data:{task_id,status}}`. Std polls the shared kling-v2-1 route (S4:4648); Freepik's own example polls kling-v2-1-std/{id}, so both answer. */
export const klingV21Std = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.kling-v2-1-std',
  path: '/v1/ai/image-to-video/kling-v2-1-std',
  mode: 'async',
  createResponse: 'envelope-without-generated',
  statusPaths: ['/v1/ai/image-to-video/kling-v2-1/:taskId', '/v1/ai/image-to-video/kling-v2-1-std/:taskId'],
  body: klingV21Body('freepik.kling-v2-1-std'),
  imageFields: [
    { name: 'image', accepts: 'both' },
    { name: 'static_mask', accepts: 'both' },
  ],
  latencyMs: 20_000,
  async produce({ body, images }) {
    checkKlingImage(images.image[0]);
    return { files: [klingVideo(body.duration)] };
  },
});
