/** Reading run values (outputs/inputs) for previews: assets, lists of assets, URLs. */
import type { AssetRef } from '@pikflow/pipeline';

export function isAssetRef(v: unknown): v is AssetRef {
  return !!v && typeof v === 'object' && typeof (v as AssetRef).url === 'string' && typeof (v as AssetRef).assetId === 'string';
}

/** Only files this server keeps (re-hosted assets) or inline data: Freepik's own URLs expire. */
function isImageUrl(v: unknown): v is string {
  return typeof v === 'string' && (/^data:image\//.test(v) || v.startsWith('/api/assets/'));
}

export interface ImageItem {
  url: string;
  name: string;
  mime?: string;
  width?: number;
  height?: number;
  size?: number;
  assetId?: string;
  kind: 'image' | 'video';
}

export function isVideo(v: { mime?: string }): boolean {
  return !!v.mime && v.mime.startsWith('video/');
}

/** Every image and video in a value map, in port order. */
export function mediaIn(values: Record<string, unknown> | undefined, prefix = ''): ImageItem[] {
  const out: ImageItem[] = [];
  const visit = (v: unknown, name: string) => {
    if (isAssetRef(v)) {
      const kind = isVideo(v) ? 'video' : !v.mime || v.mime.startsWith('image/') ? 'image' : undefined;
      if (kind) out.push({ url: v.url, name, mime: v.mime, width: v.width, height: v.height, size: v.size, assetId: v.assetId, kind });
    } else if (isImageUrl(v)) out.push({ url: v, name, kind: 'image' });
    else if (Array.isArray(v)) v.forEach((item, i) => visit(item, `${name}[${i}]`));
  };
  for (const [k, v] of Object.entries(values ?? {})) visit(v, prefix ? `${prefix}.${k}` : k);
  return out;
}

/** Every image in a value map, in port order. */
export function imagesIn(values: Record<string, unknown> | undefined, prefix = ''): ImageItem[] {
  return mediaIn(values, prefix).filter((m) => m.kind === 'image');
}

export function firstImage(values: Record<string, unknown> | undefined): ImageItem | undefined {
  return imagesIn(values)[0];
}

/** What a node shows as its result: the first image or video it produced. */
export function firstMedia(values: Record<string, unknown> | undefined): ImageItem | undefined {
  return mediaIn(values)[0];
}

/** One piece of a file name: lower-case words joined by single dashes, none at either end. */
export function fileSlug(text: string, fallback: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || fallback
  );
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/svg+xml': 'svg',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'application/json': 'json',
};

/** `<pipeline>-<node>-<run short id>.<ext>`: a download says where it came from. */
export function downloadName(pipeline: string, nodeId: string, runId: string, mime: string | undefined): string {
  const ext = (mime && EXTENSIONS[mime.split(';')[0].trim()]) || 'bin';
  return `${fileSlug(pipeline, 'pipeline')}-${fileSlug(nodeId, 'node')}-${runId.replace(/-/g, '').slice(0, 8)}.${ext}`;
}

/**
 * A link that saves the file under `name`. The server's own disposition header would
 * win over the download attribute, so a stored asset is asked to answer as an attachment.
 */
export function downloadHref(url: string, name: string): string {
  if (!url.startsWith('/api/assets/')) return url;
  return `${url}${url.includes('?') ? '&' : '?'}download=${encodeURIComponent(name)}`;
}

/** A video element shows its first frame as a poster once this much is loaded. */
export function posterUrl(url: string): string {
  return `${url}#t=0.1`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
