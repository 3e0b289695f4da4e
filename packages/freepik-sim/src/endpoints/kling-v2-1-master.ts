import { checkKlingImage, klingV21Body, klingVideo } from './kling-video.ts';
import { defineTaskEndpoint } from './types.ts';

/** Kling 2.1 Master: POST answers `{data:{task_id,status}}`. Master polls its own path (S4:3922). */
export const klingV21Master = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.kling-v2-1-master',
  path: '/v1/ai/image-to-video/kling-v2-1-master',
  mode: 'async',
  createResponse: 'envelope-without-generated',
  statusPaths: ['/v1/ai/image-to-video/kling-v2-1-master/:taskId'],
  body: klingV21Body('freepik.kling-v2-1-master'),
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
