import { z } from 'zod';
import { defineNode } from '../define-node.ts';
import { acceptLanguage, dataOf, iconThumbnail, isRecord, languageHeaders, numericId } from './shared-fields.ts';

export const stockIconDetail = defineNode({
  id: 'freepik.stock-icon-detail',
  title: 'Icon detail',
  category: 'stock',
  description: 'Reads one icon: name, tags, family, thumbnails and related icons.',
  inputs: [{ name: 'id', type: 'text', label: 'Icon id', required: true }],
  outputs: [
    { name: 'image', type: 'image', label: 'Thumbnail' },
    { name: 'name', type: 'text', label: 'Name' },
    { name: 'icon', type: 'json', label: 'Icon', description: 'The icon record with related {visual_concept, style, variants}' },
  ],
  params: z.object({ id: numericId('Icon id'), 'Accept-Language': acceptLanguage }),
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'sync',
    request: ({ params }) => ({ method: 'GET', path: `/v1/icons/${params.id}`, ...languageHeaders(params['Accept-Language']) }),
    extract: (task) => {
      const icon = dataOf(task);
      return { image: iconThumbnail(icon), name: isRecord(icon) ? icon.name : undefined, icon };
    },
  },
  summaryParams: ['id'],
});
