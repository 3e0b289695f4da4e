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

/**
 * A generated PNG's size from its IHDR chunk (PNG has no EXIF rotation to apply): no sharp call
 * for the common case. Uploads are always checked by sharp (they must decode as images).
 */
function sniffPng(bytes: Uint8Array): Sniffed | null {
  const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || PNG.some((b, i) => bytes[i] !== b)) return null;
  if (String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!) !== 'IHDR') return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (!width || !height) return null;
  return { ...IMAGE_FORMATS.png!, width, height };
}

async function sniffImage(bytes: Uint8Array): Promise<Sniffed | null> {
  try {
    // Headers only: the pixel limit is checked (with its own message) before any decode.
    const meta = await sharp(bytes, { failOn: 'none', limitInputPixels: false }).metadata();
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

/** Largest upload or input image, in pixels: a small file can decode to gigabytes (a decompression bomb). */
export const MAX_UPLOAD_PIXELS = 100_000_000;

/**
 * An upload must decode completely within the pixel limit: a truncated or corrupt file
 * would otherwise be stored as an asset that every run using it then fails on.
 */
async function checkDecodes(bytes: Uint8Array, sniffed: Sniffed): Promise<void> {
  const { width = 0, height = 0 } = sniffed;
  if (width * height > MAX_UPLOAD_PIXELS) {
    throw new PikflowError(
      'payload_too_large',
      `the image is too large: ${width}×${height} pixels (${Math.round((width * height) / 1e6)} megapixels); at most ${MAX_UPLOAD_PIXELS / 1e6} megapixels are accepted`,
      { field: 'file' },
    );
  }
  try {
    await sharp(bytes, { failOn: 'error', limitInputPixels: MAX_UPLOAD_PIXELS }).stats();
  } catch (cause) {
    const detail = (cause as Error).message.split('\n')[0]?.slice(0, 200);
    throw new PikflowError('invalid_input', `the image is damaged or truncated and cannot be decoded${detail ? ` (${detail})` : ''}`, { field: 'file', cause });
  }
}

/** An `assets` row to insert (snake_case, as the executor writes it inside its own statement). */
export interface AssetRow {
  id: string;
  sha256: string;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  filename: string | null;
  storage_key: string;
  source: 'upload' | 'generated';
  run_id: string | null;
  node_id: string | null;
}

/** The engine's own view of the store: generated files can have their row written by the caller. */
export interface LocalAssetStore extends AssetStore {
  /**
   * Sniffs and writes a generated file's bytes and returns the row to insert, without inserting
   * it: the executor writes it in the transaction that completes the node. Call `remember`
   * once that committed.
   */
  prepareGenerated(bytes: Uint8Array, meta: { runId: string; nodeId: string; mime?: string; filename?: string }): Promise<{ asset: StoredAsset; row: AssetRow }>;
  /** Like putUpload, without inserting the row (the run that uses it inserts it with itself). */
  prepareUpload(bytes: Uint8Array, filename?: string): Promise<{ asset: StoredAsset; row: AssetRow }>;
  remember(asset: StoredAsset): void;
}

export function createAssetStore(db: Db, assetsDir: string): LocalAssetStore {
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

  async function writeBytes(bytes: Uint8Array, sniffed: Sniffed): Promise<{ sha256: string; storageKey: string }> {
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
    return { sha256, storageKey };
  }

  async function sniffGenerated(bytes: Uint8Array, nodeId: string): Promise<Sniffed> {
    const sniffed = sniffVideo(bytes) ?? sniffPng(bytes) ?? (await sniffImage(bytes));
    if (!sniffed) {
      throw new PikflowError('unsupported_media_type', `the result of node ${nodeId} is not an image or video`, { nodeId });
    }
    return sniffed;
  }

  async function sniffUpload(bytes: Uint8Array): Promise<Sniffed> {
    const sniffed = await sniffImage(bytes);
    // SVG can carry scripts and would be served from our own origin: uploads must be raster images.
    if (!sniffed || sniffed.mime === 'image/svg+xml') {
      throw new PikflowError('unsupported_media_type', 'the file is not a supported image (PNG, JPEG, WebP, GIF, TIFF or AVIF)', {
        field: 'file',
      });
    }
    await checkDecodes(bytes, sniffed);
    return sniffed;
  }

  function prepared(
    bytes: Uint8Array,
    sniffed: Sniffed,
    sha256: string,
    storageKey: string,
    meta: { source: 'upload' | 'generated'; runId?: string; nodeId?: string; filename?: string },
  ): { asset: StoredAsset; row: AssetRow } {
    const row: AssetRow = {
      id: randomUUID(),
      sha256,
      mime: sniffed.mime,
      size: bytes.byteLength,
      width: sniffed.width ?? null,
      height: sniffed.height ?? null,
      filename: meta.filename?.slice(0, 255) ?? null,
      storage_key: storageKey,
      source: meta.source,
      run_id: meta.runId ?? null,
      node_id: meta.nodeId ?? null,
    };
    const asset: StoredAsset = {
      assetId: row.id,
      url: `/api/assets/${row.id}`,
      mime: row.mime,
      size: row.size,
      ...(row.width != null ? { width: row.width } : {}),
      ...(row.height != null ? { height: row.height } : {}),
      sha256,
      storageKey,
      ...(row.filename ? { filename: row.filename } : {}),
    };
    return { asset, row };
  }

  async function store(
    bytes: Uint8Array,
    sniffed: Sniffed,
    meta: { source: 'upload' | 'generated'; runId?: string; nodeId?: string; filename?: string },
  ): Promise<StoredAsset> {
    const { sha256, storageKey } = await writeBytes(bytes, sniffed);
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
      return store(bytes, await sniffUpload(bytes), { source: 'upload', filename });
    },
    async prepareUpload(bytes, filename) {
      const sniffed = await sniffUpload(bytes);
      const { sha256, storageKey } = await writeBytes(bytes, sniffed);
      return prepared(bytes, sniffed, sha256, storageKey, { source: 'upload', filename });
    },
    async putGenerated(bytes, meta) {
      const sniffed = await sniffGenerated(bytes, meta.nodeId);
      return store(bytes, sniffed, { source: 'generated', ...meta });
    },
    async prepareGenerated(bytes, meta) {
      const sniffed = await sniffGenerated(bytes, meta.nodeId);
      const { sha256, storageKey } = await writeBytes(bytes, sniffed);
      return prepared(bytes, sniffed, sha256, storageKey, { source: 'generated', ...meta });
    },
    remember(asset) {
      remember(asset);
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
