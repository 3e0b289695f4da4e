import { z } from 'zod';
import { defineNode } from '../define-node.ts';
import { acceptLanguage, dataOf, enumOf, isRecord, languageHeaders, looksLikeImageUrl, numericId } from './shared-fields.ts';

export const stockIconDownload = defineNode({
  id: 'freepik.stock-icon-download',
  title: 'Download icon',
  category: 'stock',
  description: 'Gets the download link of an icon as SVG, PNG (16–512 px) or another format.',
  inputs: [{ name: 'id', type: 'text', label: 'Icon id', required: true }],
  outputs: [
    { name: 'image', type: 'image', label: 'Icon', description: 'Set for svg and png' },
    { name: 'url', type: 'text', label: 'Download URL' },
    { name: 'filename', type: 'text', label: 'File name' },
  ],
  params: z.object({
    id: numericId('Icon id'),
    // gif, mp4, aep, json, psd and eps are not available for standard and sticker icons (S4:7853).
    format: enumOf(['svg', 'png', 'gif', 'mp4', 'aep', 'json', 'psd', 'eps']).optional(),
    png_size: z
      .union([z.literal(512), z.literal(256), z.literal(128), z.literal(64), z.literal(32), z.literal(24), z.literal(16)])
      .default(512)
      .describe('PNG only'),
    'Accept-Language': acceptLanguage,
  }),
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'sync',
    request: ({ params }) => ({
      method: 'GET',
      path: `/v1/icons/${params.id}/download`,
      query: { format: params.format, png_size: params.png_size },
      ...languageHeaders(params['Accept-Language']),
    }),
    extract: (task) => {
      const d = dataOf(task);
      const file = isRecord(d) ? d : {};
      return { image: looksLikeImageUrl(file.url) ? file.url : undefined, url: file.url, filename: file.filename };
    },
  },
  summaryParams: ['id', 'format'],
});
