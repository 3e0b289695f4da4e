import { klingElementsNode } from './kling-elements-family.ts';

export const klingElementsPro = klingElementsNode({
  id: 'freepik.kling-elements-pro',
  model: 'Kling Elements Pro',
  path: '/v1/ai/image-to-video/kling-elements-pro',
});
