import { z } from 'zod';
import { defineNode, inputName } from '../define-node.ts';

export const textInput = defineNode({
  id: 'input.text',
  title: 'Text input',
  category: 'input',
  description: 'A piece of text, such as a prompt. Its name becomes an input of the REST trigger.',
  inputs: [],
  outputs: [{ name: 'text', type: 'text', label: 'Text' }],
  params: z.object({
    name: inputName.default('text').describe('Name of this input in the REST trigger'),
    text: z.string().optional().describe('Default value; callers may override it').meta({ ui: 'textarea' }),
  }),
  execution: { kind: 'input' },
  summaryParams: ['name'],
});
