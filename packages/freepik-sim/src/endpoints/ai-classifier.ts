import { unitHash } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { classifierBody } from './seed-rules.ts';

/** AI-image classifier (sync): `{data:[{class_name:not_ai,probability},{class_name:ai,probability}]}`, fixed per image. */
export const aiClassifier = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.ai-classifier',
  path: '/v1/ai/classifier/image',
  mode: 'sync',
  body: classifierBody,
  imageFields: [{ name: 'image', accepts: 'both' }],
  latencyMs: 500,
  async produce({ images }) {
    const ai = 0.02 + 0.96 * unitHash(images.image[0].data);
    return { extra: { classes: [{ class_name: 'not_ai', probability: 1 - ai }, { class_name: 'ai', probability: ai }] } };
  },
  syncResponse: ({ extra }) => ({ data: extra.classes }),
});
