import { klingV21Endpoint } from './kling-video.ts';

/** Kling 2.1 Master polls its own path (S4:3922). */
export const klingV21Master = klingV21Endpoint({
  id: 'freepik.kling-v2-1-master',
  path: '/v1/ai/image-to-video/kling-v2-1-master',
  statusPaths: ['/v1/ai/image-to-video/kling-v2-1-master/:taskId'],
});
