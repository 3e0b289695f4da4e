import { klingElementsEndpoint } from './kling-video.ts';

/** Kling Elements Pro polls the shared kling-elements route (S4:5313). */
export const klingElementsPro = klingElementsEndpoint({
  id: 'freepik.kling-elements-pro',
  path: '/v1/ai/image-to-video/kling-elements-pro',
  statusPaths: ['/v1/ai/image-to-video/kling-elements/:taskId'],
});
