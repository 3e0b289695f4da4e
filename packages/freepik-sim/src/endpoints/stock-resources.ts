import sharp from 'sharp';
import { z } from 'zod';
import { SimHttpError, invalidParams } from '../core/errors.ts';
import {
  ORIENTATIONS,
  RESOURCE_KINDS,
  STOCK_PREFIX,
  describeResource,
  resourceId,
  resourcePicture,
  seedOf,
  switchedOn,
  titleOf,
  zipOf,
} from './stock-data.ts';
import type { RouteEndpoint } from './types.ts';

const FILES = `${STOCK_PREFIX}resources/`;
const SIZE_KEYWORDS = { small: 1000, medium: 1500, large: 2000, original: 2000 } as const;
/** Formats each kind of resource can be downloaded in. */
const FORMATS_OF = { photo: ['jpg'], vector: ['ai', 'eps', 'svg', 'jpg', 'png'], psd: ['psd', 'jpg', 'png', 'mockup'] } as const;
const RESOURCE_FORMATS = ['psd', 'ai', 'eps', 'atn', 'fonts', 'resources', 'png', 'jpg', '3d-render', 'svg', 'mockup'] as const;
const IMAGE_FORMATS = new Set(['jpg', 'png']);

const searchQuery = z.looseObject({
  page: z.coerce.number().int().min(1, 'page must be greater than 0').max(100, 'page must be at most 100').default(1),
  limit: z.coerce.number().int().min(1, 'limit must be greater than 0').max(200).default(10),
  order: z.enum(['relevance', 'recent']).default('relevance'),
  term: z.string().optional(),
});
const imageSize = z
  .union([z.enum(['small', 'medium', 'large', 'original']), z.coerce.number().int().min(100).max(2000)])
  .optional();
const idParam = z.object({ id: z.coerce.number().int().min(1, 'resource-id must be a positive integer') });

/**
 * Stock resources: GET /v1/resources (search with filters[...]),
 * /v1/resources/{id}/download and /v1/resources/{id}/download/{format}. Photos
 * download as JPEG, vectors and PSDs as a ZIP; previews are JPEGs served here.
 */
export const stockResources: RouteEndpoint = {
  kind: 'routes',
  id: 'freepik.stock-resources',
  register(app, sim) {
    const previewUrl = (origin: string, id: number) => `${origin}${FILES}${id}.jpg`;

    app.get('/v1/resources', async (request) => {
      const apiKey = sim.apiKeyOf(request);
      const raw = (request.query ?? {}) as Record<string, unknown>;
      const query = sim.parse(searchQuery, raw);
      sim.count(apiKey, 'freepik.stock-resources-search', 'submission');
      const origin = sim.originOf(request);
      const term = query.term ?? '';
      const ids = String(raw['filters[ids]'] ?? '')
        .split(',')
        .map((s) => Number.parseInt(s, 10))
        .filter((n) => Number.isInteger(n) && n > 0);
      const kinds = ids.length ? [] : switchedOn(raw, 'content_type', RESOURCE_KINDS);
      const orientations = ids.length ? [] : switchedOn(raw, 'orientation', ORIENTATIONS);
      const total = ids.length || 40 + (seedOf(`${term}|${kinds}|${orientations}`) % 200);
      const lastPage = Math.max(1, Math.ceil(total / query.limit));
      const start = (query.page - 1) * query.limit;
      const count = Math.max(0, Math.min(query.limit, total - start));
      const data = Array.from({ length: count }, (_, i) => {
        const n = start + i;
        const seed = seedOf(`${term}#${n}`);
        const id = ids.length
          ? ids[n]!
          : resourceId(
              seed,
              RESOURCE_KINDS.indexOf(kinds.length ? kinds[seed % kinds.length]! : RESOURCE_KINDS[seed % 3]!),
              ORIENTATIONS.indexOf(orientations.length ? orientations[seed % orientations.length]! : ORIENTATIONS[(seed >>> 3) % 4]!),
            );
        const { kind, orientation } = describeResource(id);
        const title = `${titleOf(term)} ${kind} ${n + 1}`;
        const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
        return {
          id,
          title,
          url: `https://www.freepik.com/free-${kind}/${slug}_${id}.htm`,
          filename: `${slug}.${kind === 'photo' ? 'jpg' : 'zip'}`,
          licenses: [{ type: seed % 4 === 0 ? 'premium' : 'freemium', url: `https://www.freepik.com/profile/license/pdf/${id}?lang=en` }],
          products: [],
          meta: {
            published_at: new Date(Date.UTC(2024, 0, 1) + (seed % 600) * 86_400_000).toISOString(),
            is_new: seed % 5 === 0,
            available_formats: Object.fromEntries(FORMATS_OF[kind].map((f) => [f, { total: 1, items: [{ id: id * 10, size: 100 }] }])),
          },
          image: { type: kind, orientation, source: { url: previewUrl(origin, id), key: 'large', size: '626x626' } },
          related: { serie: [], others: [], keywords: term ? [term] : [] },
          stats: { downloads: seed % 100_000, likes: seed % 1_000 },
          author: { id: 23, name: 'freepik', avatar: 'https://avatar.cdnpk.net/23.jpg', slug: 'freepik' },
        };
      });
      return { data, meta: { current_page: query.page, last_page: lastPage, per_page: query.limit, total } };
    });

    app.get<{ Params: { id: string } }>('/v1/resources/:id/download', async (request) => {
      const apiKey = sim.apiKeyOf(request);
      const { id } = sim.parse(idParam, request.params);
      const size = sim.parse(z.object({ image_size: imageSize }), request.query ?? {}).image_size;
      sim.count(apiKey, 'freepik.stock-resource-download', 'submission');
      const origin = sim.originOf(request);
      const { kind } = describeResource(id);
      if (kind !== 'photo') {
        return { data: { filename: `${kind}-${id}.zip`, url: `${origin}${FILES}${id}.zip`, signed_url: previewUrl(origin, id) } };
      }
      const px = typeof size === 'number' ? size : SIZE_KEYWORDS[size ?? 'original'];
      return { data: { filename: `photo-${id}.jpg`, url: `${origin}${FILES}${id}-${px}.jpg`, signed_url: previewUrl(origin, id) } };
    });

    app.get<{ Params: { id: string; format: string } }>('/v1/resources/:id/download/:format', async (request) => {
      const apiKey = sim.apiKeyOf(request);
      const { id, format } = sim.parse(idParam.extend({ format: z.enum(RESOURCE_FORMATS) }), request.params);
      const { kind } = describeResource(id);
      if (!(FORMATS_OF[kind] as readonly string[]).includes(format)) {
        throw invalidParams([{ name: 'resource-format', reason: `resource ${id} is a ${kind}: available formats are ${FORMATS_OF[kind].join(', ')}` }]);
      }
      sim.count(apiKey, 'freepik.stock-resource-download-format', 'submission');
      const origin = sim.originOf(request);
      const file = IMAGE_FORMATS.has(format) ? `${id}-626.${format}` : format === 'svg' ? `${id}.svg` : `${id}.zip`;
      const filename = `${kind}-${id}.${file.split('.').pop()}`;
      return { data: [{ filename, url: `${origin}${FILES}${file}`, signed_url: previewUrl(origin, id) }] };
    });

    // Files: <id>.jpg preview, <id>-<px>.jpg|png photo, <id>.svg, <id>.zip.
    app.get<{ Params: { file: string } }>(`${FILES}:file`, async (request, reply) => {
      const match = /^(\d+)(?:-(\d+))?\.(jpg|png|svg|zip)$/.exec(request.params.file);
      if (!match) throw new SimHttpError(404, { message: 'Not found' });
      const id = Number(match[1]);
      const px = match[2] ? Math.min(2000, Math.max(100, Number(match[2]))) : 626;
      const jpeg = await resourcePicture(id, px);
      switch (match[3]) {
        case 'jpg':
          return reply.type('image/jpeg').send(jpeg);
        case 'png':
          return reply.type('image/png').send(await sharp(jpeg).png().toBuffer());
        case 'svg': {
          const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="626" height="626"><rect width="626" height="626" fill="hsl(${id % 360},60%,55%)"/><text x="313" y="330" font-family="sans-serif" font-size="40" fill="white" text-anchor="middle">vector #${id}</text></svg>`;
          return reply.type('image/svg+xml').send(svg);
        }
        default:
          return reply
            .type('application/zip')
            .header('content-disposition', `attachment; filename="resource-${id}.zip"`)
            .send(zipOf([{ name: `resource-${id}/preview.jpg`, data: jpeg }]));
      }
    });
  },
};
