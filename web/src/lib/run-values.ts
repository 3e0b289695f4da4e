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
}

/** Every image in a value map, in port order. */
export function imagesIn(values: Record<string, unknown> | undefined, prefix = ''): ImageItem[] {
  const out: ImageItem[] = [];
  const visit = (v: unknown, name: string) => {
    if (isAssetRef(v)) {
      if (!v.mime || v.mime.startsWith('image/')) out.push({ url: v.url, name, mime: v.mime, width: v.width, height: v.height });
    } else if (isImageUrl(v)) out.push({ url: v, name });
    else if (Array.isArray(v)) v.forEach((item, i) => visit(item, `${name}[${i}]`));
  };
  for (const [k, v] of Object.entries(values ?? {})) visit(v, prefix ? `${prefix}.${k}` : k);
  return out;
}

export function firstImage(values: Record<string, unknown> | undefined): ImageItem | undefined {
  return imagesIn(values)[0];
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
