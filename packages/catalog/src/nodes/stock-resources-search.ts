import { z } from 'zod';
import { compact, defineNode } from '../define-node.ts';
import { acceptLanguage, advanced, bracketQuery, enumOf, flag, isRecord, languageHeaders, searchPage } from './shared-fields.ts';

/** `data[].image.source.url`: the preview picture of a resource. */
function previewOf(resource: unknown): string | undefined {
  if (!isRecord(resource) || !isRecord(resource.image) || !isRecord(resource.image.source)) return undefined;
  const url = resource.image.source.url;
  return typeof url === 'string' && /^https?:\/\/.+/.test(url) ? url : undefined;
}

export const stockResourcesSearch = defineNode({
  id: 'freepik.stock-resources-search',
  title: 'Search stock resources',
  category: 'stock',
  description: 'Searches Freepik photos, vectors and PSDs. Outputs the preview images, the first resource id and the raw results.',
  inputs: [{ name: 'term', type: 'text', label: 'Search term' }],
  outputs: [
    { name: 'image', type: 'image', label: 'First preview' },
    { name: 'images', type: 'image[]', label: 'Previews' },
    { name: 'resource_id', type: 'text', label: 'First resource id', description: 'Feeds "Download stock resource"' },
    { name: 'results', type: 'json', label: 'Results', description: '{data: [resource], meta: {current_page, last_page, per_page, total}}' },
  ],
  params: z.object({
    term: z.string().optional().describe('What to search for'),
    order: enumOf(['relevance', 'recent']).default('relevance'),
    page: z.number().int().min(1).max(100).optional(),
    limit: z.number().int().min(1).optional().describe('Results per page'),
    // Nested like the API's bracket keys: filters.orientation.landscape → filters[orientation][landscape].
    filters: advanced(
      z
        .object({
          orientation: z.object({ landscape: flag(), portrait: flag(), square: flag(), panoramic: flag() }).optional(),
          content_type: z.object({ photo: flag('Photos'), psd: flag('PSDs'), vector: flag('Vectors') }).optional(),
          license: z.object({ freemium: flag(), premium: flag() }).optional(),
          people: z
            .object({
              include: flag('With people'),
              exclude: flag('Without people'),
              number: enumOf(['1', '2', '3', 'more_than_three'], { '1': 'One', '2': 'Two', '3': 'Three' }).optional(),
              age: enumOf(['infant', 'child', 'teen', 'young-adult', 'adult', 'senior', 'elder']).optional(),
              gender: enumOf(['male', 'female']).optional(),
              ethnicity: enumOf(
                ['south-asian', 'middle-eastern', 'east-asian', 'black', 'hispanic', 'indian', 'white', 'multiracial', 'southeast-asian'],
                { 'south-asian': 'South Asian', 'middle-eastern': 'Middle Eastern', 'east-asian': 'East Asian', 'southeast-asian': 'Southeast Asian' },
              ).optional(),
            })
            .optional(),
          period: enumOf(['last-month', 'last-quarter', 'last-semester', 'last-year']).optional(),
          color: enumOf(['black', 'blue', 'gray', 'green', 'orange', 'red', 'white', 'yellow', 'purple', 'cyan', 'pink']).optional(),
          author: z.number().int().min(0).optional().meta({ title: 'Author id' }),
          'ai-generated': z.object({ excluded: flag('Exclude AI-generated'), only: flag('Only AI-generated') }).optional(),
          vector: z
            .object({
              type: enumOf(['jpg', 'ai', 'eps', 'svg']).optional(),
              style: enumOf(['watercolor', 'flat', 'cartoon', 'geometric', 'gradient', 'isometric', '3d', 'hand-drawn']).optional(),
            })
            .optional(),
          psd: z.object({ type: enumOf(['jpg', 'psd']).optional() }).optional(),
          ids: z.string().optional().describe('Comma-separated ids; ignores every other filter'),
        })
        .optional(),
    ),
    'Accept-Language': acceptLanguage,
  }),
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'sync',
    request: ({ params }) => ({
      method: 'GET',
      path: '/v1/resources',
      query: compact({ term: params.term, page: params.page, limit: params.limit, order: params.order, ...bracketQuery('filters', params.filters) }),
      ...languageHeaders(params['Accept-Language']),
    }),
    extract: (task) => {
      const { pictures, firstId } = searchPage(task, previewOf);
      return { image: pictures[0], images: pictures, resource_id: firstId, results: task.raw };
    },
  },
  summaryParams: ['term', 'order'],
  // Search results change as the library grows: reuse them for an hour at most.
  cache: { ttlSeconds: 3600 },
});
