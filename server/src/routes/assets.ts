import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import multipart from '@fastify/multipart';
import { PikflowError } from '@pikflow/catalog';
import type { StoredAsset } from '@pikflow/engine';
import type { FastifyRequest } from 'fastify';
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

const MAX_FILE_PARTS = 10;

/** A stored name: no control characters or lone surrogates (PostgreSQL refuses NUL), at most 255 characters. */
function cleanFilename(name: string | undefined): string | undefined {
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').replace(/\p{Cs}/gu, '\ufffd').trim().slice(0, 255);
  return clean || undefined;
}

/**
 * The one file of a multipart upload. Every part is read, so a second file is refused by
 * name instead of being dropped; a body busboy cannot parse is the caller's mistake (400).
 */
async function readOneFile(request: FastifyRequest, limit: number): Promise<{ bytes: Buffer; filename?: string }> {
  let found: { bytes: Buffer; filename?: string } | undefined;
  let files = 0;
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      files++;
      if (files > 1) {
        part.file.resume();
        continue;
      }
      found = { bytes: await part.toBuffer(), filename: cleanFilename(part.filename) };
    }
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new PikflowError('payload_too_large', `The file is larger than the ${formatMb(limit)} upload limit`, { field: 'file', cause });
    }
    if (code === 'FST_FILES_LIMIT') files = MAX_FILE_PARTS + 1;
    else if (code?.startsWith('FST_')) throw cause;
    else {
      const detail = (cause as Error).message ?? String(cause);
      throw new PikflowError(
        'invalid_input',
        /boundary/i.test(detail)
          ? 'The multipart body has no boundary: let your HTTP client build the form (e.g. curl -F file=@photo.jpg)'
          : `The multipart body could not be read (${detail}); send one file field (e.g. curl -F file=@photo.jpg)`,
        { field: 'file', cause },
      );
    }
  }
  if (files > 1) {
    throw new PikflowError('invalid_input', `The upload has ${files > MAX_FILE_PARTS ? `more than ${MAX_FILE_PARTS}` : files} files; send one file per request`, { field: 'file' });
  }
  if (!found) throw new PikflowError('invalid_input', 'The upload has no file: send the image in a file field', { field: 'file' });
  return found;
}

export const assetRoutes: FastifyPluginAsyncZod = async (app) => {
  const limit = app.services.config.limits.uploadBytes;
  // More than one file is refused by name below (not silently cut to the first one).
  await app.register(multipart, { limits: { fileSize: limit, files: MAX_FILE_PARTS, fields: 5, parts: MAX_FILE_PARTS + 5 } });

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
      const { bytes, filename } = await readOneFile(request, limit);
      if (bytes.length === 0) throw new PikflowError('invalid_input', 'The uploaded file is empty', { field: 'file' });
      const asset = await app.services.engine.assets.putUpload(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), filename);
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
