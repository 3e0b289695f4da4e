/**
 * Local-disk asset store. Bytes are content-addressed (`<sha256[0:2]>/<sha256>.<ext>`
 * under config.assetsDir) so a file stored twice takes the space once; every put
 * still gets its own `assets` row (who made it, for which run and node).
 * Uploads are sniffed by sharp and refused unless they are images; generated files
 * may also be mp4/webm video (recognised by their magic numbers).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { eq } from 'drizzle-orm';
import { PikflowError } from '@pikflow/catalog';
import { assets, type Db } from '@pikflow/db';
import type { AssetStore, StoredAsset } from './types.ts';

// The engine only reads headers with sharp: libvips's operation cache would just hold memory.
sharp.cache(false);

interface Sniffed {
  mime: string;
  ext: string;
  width?: number;
  height?: number;
}

const IMAGE_FORMATS: Record<string, { mime: string; ext: string }> = {
  jpeg: { mime: 'image/jpeg', ext: 'jpg' },
  png: { mime: 'image/png', ext: 'png' },
  webp: { mime: 'image/webp', ext: 'webp' },
  gif: { mime: 'image/gif', ext: 'gif' },
  tiff: { mime: 'image/tiff', ext: 'tiff' },
  avif: { mime: 'image/avif', ext: 'avif' },
  heif: { mime: 'image/heif', ext: 'heif' },
  svg: { mime: 'image/svg+xml', ext: 'svg' },
};

// Small images can be read from their headers without sharp; sharp handles the rest.
function sniffVideo(bytes: Uint8Array): Sniffed | null {
  if (bytes.length >= 12 && bytes[4] === 0x66 && bytes[5] === 0x74 && bytes[6] === 0x79 && bytes[7] === 0x70) {
    return { mime: 'video/mp4', ext: 'mp4' };
  }
  if (bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) {
    return { mime: 'video/webm', ext: 'webm' };
  }
  return null;
}

async function sniffImage(bytes: Uint8Array): Promise<Sniffed | null> {
  try {
    const meta = await sharp(bytes, { failOn: 'none' }).metadata();
    const format = meta.format === 'heif' && meta.compression === 'av1' ? 'avif' : meta.format;
    const known = format ? IMAGE_FORMATS[format] : undefined;
    if (!known) return null;
    // EXIF orientations 5–8 swap what a viewer shows.
    const swap = (meta.orientation ?? 1) >= 5;
    return { ...known, width: swap ? meta.height : meta.width, height: swap ? meta.width : meta.height };
  } catch {
    return null;
  }
}

export function createAssetStore(db: Db, assetsDir: string): AssetStore {
  // Asset rows never change once written: remember recent ones (hand-off reads them again).
  const recent = new Map<string, StoredAsset>();
  const remember = (asset: StoredAsset) => {
    recent.set(asset.assetId, asset);
    if (recent.size > 10_000) recent.delete(recent.keys().next().value!);
    return asset;
  };
  const toStored = (row: typeof assets.$inferSelect): StoredAsset => ({
    assetId: row.id,
    url: `/api/assets/${row.id}`,
    mime: row.mime,
    size: row.size,
    ...(row.width != null ? { width: row.width } : {}),
    ...(row.height != null ? { height: row.height } : {}),
    sha256: row.sha256,
    storageKey: row.storageKey,
    ...(row.filename ? { filename: row.filename } : {}),
  });

  async function store(
    bytes: Uint8Array,
    sniffed: Sniffed,
    meta: { source: 'upload' | 'generated'; runId?: string; nodeId?: string; filename?: string },
  ): Promise<StoredAsset> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const storageKey = `${sha256.slice(0, 2)}/${sha256}.${sniffed.ext}`;
    const path = join(assetsDir, storageKey);
    if (!existsSync(path)) {
      await mkdir(dirname(path), { recursive: true });
      // Write then rename: a reader never sees half a file, and two writers of the same bytes agree.
      const temp = `${path}.${randomUUID()}.tmp`;
      await writeFile(temp, bytes);
      await rename(temp, path);
    }
    const [row] = await db
      .insert(assets)
      .values({
        sha256,
        mime: sniffed.mime,
        size: bytes.byteLength,
        width: sniffed.width ?? null,
        height: sniffed.height ?? null,
        filename: meta.filename?.slice(0, 255) ?? null,
        storageKey,
        source: meta.source,
        runId: meta.runId ?? null,
        nodeId: meta.nodeId ?? null,
      })
      .returning();
    return remember(toStored(row!));
  }

  return {
    async putUpload(bytes, filename) {
      const sniffed = await sniffImage(bytes);
      // SVG can carry scripts and would be served from our own origin: uploads must be raster images.
      if (!sniffed || sniffed.mime === 'image/svg+xml') {
        throw new PikflowError('unsupported_media_type', 'the file is not a supported image (PNG, JPEG, WebP, GIF, TIFF or AVIF)', {
          field: 'file',
        });
      }
      return store(bytes, sniffed, { source: 'upload', filename });
    },
    async putGenerated(bytes, meta) {
      const sniffed = sniffVideo(bytes) ?? (await sniffImage(bytes));
      if (!sniffed) {
        throw new PikflowError('unsupported_media_type', `the result of node ${meta.nodeId} is not an image or video`, {
          nodeId: meta.nodeId,
        });
      }
      return store(bytes, sniffed, { source: 'generated', ...meta });
    },
    async get(assetId) {
      if (!/^[0-9a-f-]{36}$/i.test(assetId)) return null;
      const cached = recent.get(assetId.toLowerCase());
      if (cached) return cached;
      const [row] = await db.select().from(assets).where(eq(assets.id, assetId)).limit(1);
      return row ? remember(toStored(row)) : null;
    },
    pathOf(asset) {
      return join(assetsDir, asset.storageKey);
    },
    async read(assetId) {
      const asset = await this.get(assetId);
      if (!asset) throw new PikflowError('not_found', `asset ${assetId} does not exist`);
      return { asset, bytes: await readFile(join(assetsDir, asset.storageKey)) };
    },
  };
}
