import { checkKlingImage, klingV21Body, klingVideo } from './kling-video.ts';
import { defineTaskEndpoint } from './types.ts';

/** Kling 2.1 Pro: POST answers `{data:{task_id,status}}`. Pro polls the shared kling-v2-1 route (S4:4285). */
export const klingV21Pro = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.kling-v2-1-pro',
  path: '/v1/ai/image-to-video/kling-v2-1-pro',
  mode: 'async',
  createResponse: 'envelope-without-generated',
  statusPaths: ['/v1/ai/image-to-video/kling-v2-1/:taskId'],
  body: klingV21Body('freepik.kling-v2-1-pro'),
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
