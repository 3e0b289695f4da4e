import { klingV21Node } from './kling-v2-1-family.ts';

export const klingV21Master = klingV21Node({
  id: 'freepik.kling-v2-1-master',
  model: 'Kling 2.1 Master',
  path: '/v1/ai/image-to-video/kling-v2-1-master',
  // Master polls its own path, `${path}/${taskId}` (S4:3922).
});
