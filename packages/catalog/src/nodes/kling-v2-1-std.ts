import { klingV21Node } from './kling-v2-1-family.ts';

export const klingV21Std = klingV21Node({
  id: 'freepik.kling-v2-1-std',
  model: 'Kling 2.1 Std',
  path: '/v1/ai/image-to-video/kling-v2-1-std',
  // Docs: the shared kling-v2-1 route (S4:4648); Freepik's own example polls kling-v2-1-std/{id}, the simulator answers both.
  statusPath: (taskId) => `/v1/ai/image-to-video/kling-v2-1/${taskId}`,
});
