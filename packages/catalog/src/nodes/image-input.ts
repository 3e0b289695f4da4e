import { z } from 'zod';
import { defineNode, inputName } from '../define-node.ts';

export const imageInput = defineNode({
  id: 'input.image',
  title: 'Image input',
  category: 'input',
  description:
    'An image the pipeline starts from: an uploaded asset or a URL. Its name becomes an input of the REST trigger.',
  inputs: [],
  outputs: [{ name: 'image', type: 'image', label: 'Image' }],
  params: z.object({
    name: inputName.default('image').describe('Name of this input in the REST trigger'),
    image: z
      .string()
      .optional()
      .describe('Default image: an asset id, an https URL or a data URI; callers may override it')
      .meta({ ui: 'image' }),
  }),
  execution: { kind: 'input' },
  summaryParams: ['name'],
});
