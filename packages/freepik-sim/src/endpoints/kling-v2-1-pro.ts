import { klingV21Endpoint } from './kling-video.ts';

/** Kling 2.1 Pro polls the shared kling-v2-1 route (S4:4285). */
export const klingV21Pro = klingV21Endpoint({
  id: 'freepik.kling-v2-1-pro',
  path: '/v1/ai/image-to-video/kling-v2-1-pro',
  statusPaths: ['/v1/ai/image-to-video/kling-v2-1/:taskId'],
});
