import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import multipart from '@fastify/multipart';
import { PikflowError } from '@pikflow/catalog';
import type { StoredAsset } from '@pikflow/engine';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assetRefSchema, errorResponses, idParams } from '../schemas.ts';

function formatMb(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

function assetRef(asset: StoredAsset) {
  return {
    assetId: asset.assetId,
    url: asset.url,
    mime: asset.mime,
    ...(asset.size !== undefined ? { size: asset.size } : {}),
    ...(asset.width !== undefined ? { width: asset.width } : {}),
    ...(asset.height !== undefined ? { height: asset.height } : {}),
  };
}

export const assetRoutes: FastifyPluginAsyncZod = async (app) => {
  const limit = app.services.config.limits.uploadBytes;
  await app.register(multipart, { limits: { fileSize: limit, files: 1, fields: 5, parts: 6 } });

  app.post(
    '/assets',
    {
      schema: {
        tags: ['assets'],
        summary: 'Upload an image (multipart/form-data, one file field); use its assetId as a run input',
        description: `Images only (PNG, JPEG, WebP, GIF…; the content is sniffed, the name and declared type are not trusted), at most ${formatMb(limit)}.`,
        consumes: ['multipart/form-data'],
        response: { 201: assetRefSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new PikflowError(
          'unsupported_media_type',
          'Upload the image as multipart/form-data with one file field (e.g. curl -F file=@photo.jpg)',
          { field: 'file' },
        );
      }
      const part = await request.file();
      if (!part) throw new PikflowError('invalid_input', 'The upload has no file: send the image in a file field', { field: 'file' });
      let bytes: Buffer;
      try {
        bytes = await part.toBuffer();
      } catch (cause) {
        if ((cause as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
          throw new PikflowError('payload_too_large', `The file is larger than the ${formatMb(limit)} upload limit`, { field: 'file', cause });
        }
        throw cause;
      }
      if (bytes.length === 0) throw new PikflowError('invalid_input', 'The uploaded file is empty', { field: 'file' });
      const asset = await app.services.engine.assets.putUpload(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), part.filename || undefined);
      request.log.info({ assetId: asset.assetId, mime: asset.mime, size: asset.size }, 'asset uploaded');
      return reply.code(201).header('location', asset.url).send(assetRef(asset));
    },
  );

  app.get(
    '/assets/:id',
    {
      // Asset ids are random UUIDs, and Freepik must be able to fetch them for URL hand-off.
      config: { public: true },
      schema: {
        tags: ['assets'],
        summary: 'The stored file, with its content type and long-lived caching headers',
        params: idParams,
        querystring: z.object({
          download: z
            .string()
            .max(200)
            .optional()
            .describe('Answer as an attachment with this file name (the editor names downloads <pipeline>-<node>-<run>.<ext>)'),
        }),
        response: {
          200: { description: 'The file bytes', content: { 'image/*': { schema: z.string() }, 'video/*': { schema: z.string() } } },
          304: z.undefined().describe('Not modified (If-None-Match matched the ETag)'),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { assets } = app.services.engine;
      const asset = await assets.get(request.params.id);
      if (!asset) throw new PikflowError('not_found', `Asset ${request.params.id} does not exist`, { field: 'id' });
      const etag = `"${asset.sha256}"`;
      reply
        .header('etag', etag)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('content-disposition', disposition(request.query.download, asset.filename));
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      const path = assets.pathOf(asset);
      const size = asset.size ?? (await stat(path)).size;
      return reply.type(asset.mime).header('content-length', String(size)).send(createReadStream(path) as unknown as string); // a stream: Fastify pipes it, no serializer
    },
  );
};

/** inline with the stored name, or an attachment named by the caller (?download=). */
function disposition(download: string | undefined, filename: string | undefined): string {
  const safe = (name: string) => name.replace(/[^\w.-]+/g, '_');
  if (download?.trim()) return `attachment; filename="${safe(download.trim())}"`;
  return `inline${filename ? `; filename="${safe(filename)}"` : ''}`;
}
