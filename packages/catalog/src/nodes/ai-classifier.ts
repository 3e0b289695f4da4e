import { z } from 'zod';
import { defineNode } from '../define-node.ts';
import { dataOf, isRecord } from './shared-fields.ts';

export const aiClassifier = defineNode({
  id: 'freepik.ai-classifier',
  title: 'AI image classifier',
  category: 'analysis',
  description: 'Estimates how likely an image is AI-generated.',
  inputs: [{ name: 'image', type: 'image', label: 'Image', required: true, accepts: 'both' }],
  outputs: [
    { name: 'ai_probability', type: 'number', label: 'AI probability', description: '0–1: probability of class "ai"' },
    { name: 'classification', type: 'json', label: 'Classes', description: '[{class_name: not_ai|ai, probability}]' },
  ],
  params: z.object({}),
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'sync',
    request: ({ inputs }) => ({ method: 'POST', path: '/v1/ai/classifier/image', body: { image: inputs.image } }),
    extract: (task) => {
      const classes = dataOf(task);
      const ai = Array.isArray(classes) ? classes.find((c) => isRecord(c) && c.class_name === 'ai') : undefined;
      return { ai_probability: isRecord(ai) && typeof ai.probability === 'number' ? ai.probability : undefined, classification: classes };
    },
  },
});
