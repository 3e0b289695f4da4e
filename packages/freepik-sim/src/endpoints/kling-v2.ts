import { KLING_TASK, checkKlingImage, klingVideo } from './kling-video.ts';
import { defineTaskEndpoint } from './types.ts';
import { klingV2Body } from './seed-rules.ts';

/** Kling v2: image required; at most 3 unfinished tasks per key, the 4th is refused with 429 (S4:4683). */
export const klingV2 = defineTaskEndpoint({
  ...KLING_TASK,
  id: 'freepik.kling-v2',
  path: '/v1/ai/image-to-video/kling-v2',
  body: klingV2Body,
  imageFields: [{ name: 'image', accepts: 'both' }],
  maxConcurrentTasks: 3,
  async produce({ body, images }) {
    checkKlingImage(images.image[0]);
    return { files: [klingVideo(body.duration)] };
  },
});
