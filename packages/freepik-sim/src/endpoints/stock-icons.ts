import { z } from 'zod';
import { SimHttpError, invalidParams } from '../core/errors.ts';
import { ICON_STYLES, STOCK_PREFIX, seedOf, titleOf } from './stock-data.ts';
import { iconFile, iconSvg } from './text-to-icon.ts';
import type { RouteEndpoint } from './types.ts';

const FILES = `${STOCK_PREFIX}icons/`;
const FAMILIES = [
  { id: 1, name: 'Outline', total: 1200 },
  { id: 2, name: 'Fill', total: 900 },
  { id: 3, name: 'Lineal color', total: 700 },
];
const ANIMATED_ONLY = new Set(['gif', 'mp4', 'aep', 'json', 'psd', 'eps']);

const searchQuery = z.looseObject({
  term: z.string().optional(),
  slug: z.string().optional(),
  page: z.coerce.number().int().min(1, 'page must be greater than 0').default(1),
  per_page: z.coerce.number().int().min(1, 'per_page must be greater than 0').max(200).default(10),
  'family-id': z.coerce.number().int().min(1).optional(),
  order: z.enum(['relevance', 'recent']).default('relevance'),
  thumbnail_size: z.coerce.number().int().min(16).max(512).default(128),
});
const idParam = z.object({ id: z.coerce.number().int().min(1, 'id must be a positive integer') });
const downloadQuery = z.object({
  format: z.enum(['svg', 'png', 'gif', 'mp4', 'aep', 'json', 'psd', 'eps']).default('png'),
  png_size: z.coerce
    .number()
    .refine((n) => [512, 256, 128, 64, 32, 24, 16].includes(n), 'png_size must be one of 512, 256, 128, 64, 32, 24, 16')
    .default(512),
});

/** An icon's fake record, drawn from its id alone (name from the search term when known). */
function icon(id: number, origin: string, thumbnailSize: number, name = `icon ${id}`) {
  const style = ICON_STYLES[id % ICON_STYLES.length]!;
  const family = FAMILIES[id % FAMILIES.length]!;
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return {
    id,
    name,
    slug,
    free_svg: id % 3 !== 0,
    created: new Date(Date.UTC(2023, 0, 1) + (id % 700) * 86_400_000).toISOString(),
    author: { id: 61668527, name: 'Freepik', slug: 'freepik', avatar: 'https://avatar.cdnpk.net/61668527.jpg', assets: 0 },
    style: { id: 50 + (id % ICON_STYLES.length), name: style },
    family,
    thumbnails: [{ width: thumbnailSize, height: thumbnailSize, url: `${origin}${FILES}${id}-${thumbnailSize}.png` }],
    tags: name.split(/\s+/).map((w) => ({ name: w, slug: w.toLowerCase() })),
  };
}

const nameOf = (id: number) => `icon ${id}`;

/**
 * Icons: GET /v1/icons (search), /v1/icons/{id} (detail with related) and
 * /v1/icons/{id}/download (svg or png 16–512; the animated formats are refused
 * for these standard icons, S4:7853). Files are served here.
 */
export const stockIcons: RouteEndpoint = {
  kind: 'routes',
  id: 'freepik.stock-icons',
  register(app, sim) {
    app.get('/v1/icons', async (request) => {
      const apiKey = sim.apiKeyOf(request);
      const query = sim.parse(searchQuery, request.query ?? {});
      sim.count(apiKey, 'freepik.stock-icons-search', 'submission');
      const origin = sim.originOf(request);
      const term = query.slug ?? query.term ?? '';
      const total = 30 + (seedOf(`icons|${term}`) % 300);
      const start = (query.page - 1) * query.per_page;
      const count = Math.max(0, Math.min(query.per_page, total - start));
      const data = Array.from({ length: count }, (_, i) => {
        const id = 10_000 + (seedOf(`icons|${term}#${start + i}`) % 9_000_000);
        return icon(id, origin, query.thumbnail_size, term ? `${titleOf(term)} ${start + i + 1}` : nameOf(id));
      });
      return {
        data,
        meta: { pagination: { per_page: query.per_page, total, last_page: Math.max(1, Math.ceil(total / query.per_page)), current_page: query.page } },
      };
    });

    app.get<{ Params: { id: string } }>('/v1/icons/:id', async (request) => {
      const apiKey = sim.apiKeyOf(request);
      const { id } = sim.parse(idParam, request.params);
      sim.count(apiKey, 'freepik.stock-icon-detail', 'submission');
      const origin = sim.originOf(request);
      const related = (offset: number) => [1, 2, 3].map((k) => icon(id + offset * k, origin, 128));
      return { data: { ...icon(id, origin, 512), related: { visual_concept: related(7), style: related(11), variants: related(13) } } };
    });

    app.get<{ Params: { id: string } }>('/v1/icons/:id/download', async (request) => {
      const apiKey = sim.apiKeyOf(request);
      const { id } = sim.parse(idParam, request.params);
      const { format, png_size } = sim.parse(downloadQuery, request.query ?? {});
      if (ANIMATED_ONLY.has(format)) {
        throw invalidParams([{ name: 'format', reason: `${format} is not available for standard and sticker icon types` }]);
      }
      sim.count(apiKey, 'freepik.stock-icon-download', 'submission');
      const file = format === 'svg' ? `${id}.svg` : `${id}-${png_size}.png`;
      return { data: { filename: `icon-${id}.${format}`, url: `${sim.originOf(request)}${FILES}${file}` } };
    });

    app.get<{ Params: { file: string } }>(`${FILES}:file`, async (request, reply) => {
      const match = /^(\d+)(?:-(\d+))?\.(png|svg)$/.exec(request.params.file);
      if (!match) throw new SimHttpError(404, { message: 'Not found' });
      const id = Number(match[1]);
      const svg = iconSvg(nameOf(id), ICON_STYLES[id % ICON_STYLES.length]!);
      const file = await iconFile(svg, match[3]!, Math.min(512, Math.max(16, Number(match[2] ?? 512))));
      return reply.type(file.mime).send(file.data);
    });
  },
};
