import { z } from 'zod';
import { defineNode } from '../define-node.ts';
import { acceptLanguage, dataOf, enumOf, isRecord, languageHeaders, numericId, pictureOf } from './shared-fields.ts';

export const stockResourceDownload = defineNode({
  id: 'freepik.stock-resource-download',
  title: 'Download stock resource',
  category: 'stock',
  description: 'Gets the download link of a stock resource (a photo, or a zip for vectors and PSDs).',
  inputs: [{ name: 'resource-id', type: 'text', label: 'Resource id', required: true }],
  outputs: [
    { name: 'image', type: 'image', label: 'Image', description: 'The file when it is a picture, else its preview' },
    { name: 'url', type: 'text', label: 'Download URL' },
    { name: 'filename', type: 'text', label: 'File name' },
  ],
  params: z.object({
    'resource-id': numericId('Resource id'),
    image_size: z
      .union([enumOf(['small', 'medium', 'large', 'original']), z.number().int().min(100).max(2000)])
      .optional()
      .describe('Photos only: small (1000 px), medium (1500), large (2000), original, or 100–2000 px on the long side'),
    'Accept-Language': acceptLanguage,
  }),
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'sync',
    request: ({ params }) => ({
      method: 'GET',
      path: `/v1/resources/${params['resource-id']}/download`,
      query: params.image_size === undefined ? undefined : { image_size: params.image_size },
      ...languageHeaders(params['Accept-Language']),
    }),
    extract: (task) => {
      const d = dataOf(task);
      const file = isRecord(d) ? d : {};
      return { image: pictureOf(file), url: file.url, filename: file.filename };
    },
  },
  summaryParams: ['resource-id', 'image_size'],
});
