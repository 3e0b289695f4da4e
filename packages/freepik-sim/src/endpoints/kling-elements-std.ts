import { klingElementsEndpoint } from './kling-video.ts';

/** Kling Elements Std polls the shared kling-elements route (S4:5644). */
export const klingElementsStd = klingElementsEndpoint({
  id: 'freepik.kling-elements-std',
  path: '/v1/ai/image-to-video/kling-elements-std',
  statusPaths: ['/v1/ai/image-to-video/kling-elements/:taskId'],
});
