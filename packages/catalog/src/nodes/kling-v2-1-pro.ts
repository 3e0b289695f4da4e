import { klingV21Node } from './kling-v2-1-family.ts';

export const klingV21Pro = klingV21Node({
  id: 'freepik.kling-v2-1-pro',
  model: 'Kling 2.1 Pro',
  path: '/v1/ai/image-to-video/kling-v2-1-pro',
  // Pro and std poll the shared kling-v2-1 route, not their create path (S4:4285).
  statusPath: (taskId) => `/v1/ai/image-to-video/kling-v2-1/${taskId}`,
});
