import { klingElementsNode } from './kling-elements-family.ts';

export const klingElementsStd = klingElementsNode({
  id: 'freepik.kling-elements-std',
  model: 'Kling Elements Std',
  path: '/v1/ai/image-to-video/kling-elements-std',
});
