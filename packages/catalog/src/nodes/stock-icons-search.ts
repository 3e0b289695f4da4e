import { z } from 'zod';
import { compact, defineNode } from '../define-node.ts';
import { acceptLanguage, advanced, bracketQuery, enumOf, iconThumbnail, languageHeaders, searchPage } from './shared-fields.ts';

export const stockIconsSearch = defineNode({
  id: 'freepik.stock-icons-search',
  title: 'Search icons',
  category: 'stock',
  description: 'Searches Flaticon icons. Outputs the thumbnails, the first icon id and the raw results.',
  inputs: [{ name: 'term', type: 'text', label: 'Search term' }],
  outputs: [
    { name: 'image', type: 'image', label: 'First thumbnail' },
    { name: 'images', type: 'image[]', label: 'Thumbnails' },
    { name: 'icon_id', type: 'text', label: 'First icon id', description: 'Feeds "Icon detail" and "Download icon"' },
    { name: 'results', type: 'json', label: 'Results', description: '{data: [icon], meta: {pagination}}' },
  ],
  params: z.object({
    term: z.string().optional().describe('What to search for'),
    order: enumOf(['relevance', 'recent']).default('relevance'),
    page: z.number().int().min(1).optional(),
    per_page: z.number().int().min(1).optional().describe('Results per page'),
    slug: advanced(z.string().optional().describe('Search by slug (wins over term)')),
    'family-id': advanced(z.number().int().min(1).optional().meta({ title: 'Icon family id' })),
    filters: advanced(
      z
        .object({
          color: enumOf([
            'gradient', 'solid-black', 'multicolor', 'azure', 'black', 'blue', 'chartreuse', 'cyan', 'gray',
            'green', 'orange', 'red', 'rose', 'spring-green', 'violet', 'white', 'yellow',
          ]).optional(),
          shape: enumOf(['outline', 'fill', 'lineal-color', 'hand-drawn']).optional(),
          period: enumOf(['three-months', 'six-months', 'one-year', 'all']).optional(),
          free_svg: enumOf(['all', 'free', 'premium']).optional(),
          // The enum is hidden in the seeds (S4:7022-7025); each value repeats the key: filters[icon_type][]=a&filters[icon_type][]=b.
          icon_type: z.array(z.string().min(1)).optional(),
        })
        .optional(),
    ),
    thumbnail_size: advanced(z.string().optional().describe('Thumbnail size in px; Freepik uses 128 when empty')),
    'Accept-Language': acceptLanguage,
  }),
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'sync',
    request: ({ params }) => ({
      method: 'GET',
      path: '/v1/icons',
      query: compact({
        term: params.term,
        slug: params.slug,
        page: params.page,
        per_page: params.per_page,
        'family-id': params['family-id'],
        order: params.order,
        thumbnail_size: params.thumbnail_size,
        ...bracketQuery('filters', params.filters),
      }),
      ...languageHeaders(params['Accept-Language']),
    }),
    extract: (task) => {
      const { pictures, firstId } = searchPage(task, iconThumbnail);
      return { image: pictures[0], images: pictures, icon_id: firstId, results: task.raw };
    },
  },
  summaryParams: ['term', 'order'],
  // Search results change as the library grows: reuse them for an hour at most.
  cache: { ttlSeconds: 3600 },
});
