import { klingV21Endpoint } from './kling-video.ts';

/** Kling 2.1 Std polls the shared kling-v2-1 route (S4:4648); Freepik's own example polls kling-v2-1-std/{id}, so both answer. */
export const klingV21Std = klingV21Endpoint({
  id: 'freepik.kling-v2-1-std',
  path: '/v1/ai/image-to-video/kling-v2-1-std',
  statusPaths: ['/v1/ai/image-to-video/kling-v2-1/:taskId', '/v1/ai/image-to-video/kling-v2-1-std/:taskId'],
});
