import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { SimHttpError } from './errors.ts';
import type { SimCore } from './sim-core.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIME: Record<string, [mime: string, ext: string]> = {
  png: ['image/png', 'png'],
  jpeg: ['image/jpeg', 'jpg'],
  webp: ['image/webp', 'webp'],
  gif: ['image/gif', 'gif'],
  tiff: ['image/tiff', 'tiff'],
  heif: ['image/avif', 'avif'],
  svg: ['image/svg+xml', 'svg'],
};

interface Upload {
  data: Buffer;
  mime: string;
  filename: string;
}

const badRequest = (message: string) => new SimHttpError(400, { message });

/**
 * The user's own file-upload service (seed 003): multipart `id` (a client-made
 * UUID) + `image`; stores the file and answers `{id,url,filename,size,mime}`.
 * The same id again overwrites, so a retried upload never duplicates. No key.
 */
export function registerUploadService(app: FastifyInstance, core: SimCore): void {
  const uploads = new Map<string, Upload>();

  app.post('/api/v1/file/uploads', async (request) => {
    if (!request.isMultipart()) throw badRequest('send multipart/form-data with fields id (UUID) and image (file)');
    let id: string | undefined;
    let file: { data: Buffer; filename: string } | undefined;
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        if (part.fieldname === 'image') file = { data, filename: part.filename || 'image' };
      } else if (part.fieldname === 'id') {
        id = String(part.value).trim();
      }
    }
    if (!id) throw badRequest('missing field id: send a UUID identifying the file');
    if (!UUID.test(id)) throw badRequest('field id must be a UUID');
    if (!file || file.data.length === 0) throw badRequest('missing field image: attach the image file');
    let format: string | undefined;
    try {
      format = (await sharp(file.data, { limitInputPixels: core.config.maxInputPixels }).metadata()).format;
    } catch (e) {
      if (/pixel limit/.test((e as Error).message)) {
        throw badRequest(`field image is too large: at most ${core.config.maxInputPixels} pixels are accepted`);
      }
      format = undefined;
    }
    const known = format ? MIME[format] : undefined;
    if (!known) throw badRequest('field image is not an image (PNG, JPEG, WebP, GIF, TIFF, AVIF or SVG)');
    const [mime, ext] = known;
    const filename = /\.[A-Za-z0-9]+$/.test(file.filename) ? file.filename : `${file.filename}.${ext}`;
    uploads.set(id, { data: file.data, mime, filename });
    const url = `${core.originOf(request)}/api/v1/file/uploads/${id}/${encodeURIComponent(filename)}`;
    return { id, url, filename, size: file.data.length, mime };
  });

  app.get<{ Params: { id: string; filename: string } }>('/api/v1/file/uploads/:id/:filename', async (request, reply) => {
    const upload = uploads.get(request.params.id);
    if (!upload) throw new SimHttpError(404, { message: 'File not found' });
    return reply.type(upload.mime).header('cache-control', 'public, max-age=31536000').send(upload.data);
  });
}
