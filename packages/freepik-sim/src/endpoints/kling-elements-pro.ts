import { nodeBody } from './schema-helpers.ts';
import { checkKlingImage, klingElementsImages, klingVideo } from './kling-video.ts';
import { defineTaskEndpoint } from './types.ts';

/**
 * Kling Elements Pro: 1–4 image URLs (no base64); polls the shared
 * kling-elements route (S4:5313, 5644); at most 3 unfinished tasks per key (S4:5017).
 */
export const klingElementsPro = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.kling-elements-pro',
  path: '/v1/ai/image-to-video/kling-elements-pro',
  mode: 'async',
  createResponse: 'envelope-without-generated',
  statusPaths: ['/v1/ai/image-to-video/kling-elements/:taskId'],
  body: nodeBody('freepik.kling-elements-pro', { images: klingElementsImages }),
  imageFields: [{ name: 'images', list: true, accepts: 'url' }],
  maxConcurrentTasks: 3,
  latencyMs: 20_000,
  async produce({ body, images }) {
    for (const image of images.images) checkKlingImage(image);
    return { files: [klingVideo(body.duration)] };
  },
});
