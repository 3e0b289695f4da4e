import { z } from 'zod';
import { defineNode } from '../define-node.ts';
import { dataOf, enumOf, isRecord, numericId, pictureOf } from './shared-fields.ts';

export const stockResourceDownloadFormat = defineNode({
  id: 'freepik.stock-resource-download-format',
  title: 'Download stock resource as format',
  category: 'stock',
  description: 'Gets the download links of a stock resource in one format (png, jpg, svg, psd, ai, eps…).',
  inputs: [{ name: 'resource-id', type: 'text', label: 'Resource id', required: true }],
  outputs: [
    { name: 'image', type: 'image', label: 'Image', description: 'The first file when it is a picture, else its preview' },
    { name: 'url', type: 'text', label: 'First download URL' },
    { name: 'filename', type: 'text', label: 'First file name' },
    { name: 'files', type: 'json', label: 'Files', description: '[{filename, url, signed_url}]' },
  ],
  params: z.object({
    'resource-id': numericId('Resource id'),
    'resource-format': enumOf(['psd', 'ai', 'eps', 'atn', 'fonts', 'resources', 'png', 'jpg', '3d-render', 'svg', 'mockup']),
  }),
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'sync',
    request: ({ params }) => ({
      method: 'GET',
      path: `/v1/resources/${params['resource-id']}/download/${params['resource-format']}`,
    }),
    extract: (task) => {
      const files = dataOf(task);
      const first = Array.isArray(files) && isRecord(files[0]) ? files[0] : {};
      return { image: pictureOf(first), url: first.url, filename: first.filename, files };
    },
  },
  summaryParams: ['resource-id', 'resource-format'],
});
