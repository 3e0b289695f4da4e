import { z } from 'zod';
import { defineNode, inputName } from '../define-node.ts';

export const output = defineNode({
  id: 'output',
  title: 'Output',
  category: 'output',
  description: 'Marks a result of the pipeline. Its name is the key of this value in the run outputs.',
  inputs: [{ name: 'value', type: 'any', label: 'Value', required: true }],
  outputs: [],
  params: z.object({
    name: inputName.default('result').describe('Key of this value in the run outputs'),
  }),
  execution: { kind: 'output' },
  summaryParams: ['name'],
});
