/**
 * Documented limits on the images an endpoint takes (Kling: at least 300×300 px, aspect between
 * 1:2.5 and 2.5:1, at most 10 MB). Declared once on the input port in the node's file; the server
 * checks them when a run is triggered, the engine again before it sends a request, and the
 * editor shows them generated from the same declaration. No imports: the editor loads this file
 * alone (`@pikflow/catalog/image-limits`).
 */

/** Formats a limit may name, as MIME types. */
export type ImageFormat = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/gif';

export interface ImageLimits {
  minWidth?: number;
  minHeight?: number;
  maxWidth?: number;
  maxHeight?: number;
  /** Narrowest width ÷ height (1:2.5 = 0.4). */
  minAspect?: number;
  /** Widest width ÷ height (2.5:1 = 2.5). */
  maxAspect?: number;
  /** Largest file, in bytes (1 MB = 1024 × 1024). */
  maxBytes?: number;
  /** Largest image, in millions of pixels. */
  maxMegapixels?: number;
  /**
   * Largest result of an upscaler, in millions of pixels: the input's pixels times the square of
   * the scale in `scaleParam` (a number or text like `4x`).
   */
  maxOutputMegapixels?: { megapixels: number; scaleParam: string };
  /** The only formats the endpoint takes. */
  formats?: ImageFormat[];
}

/** What is known of one image: from the asset store (every field may be unknown). */
export interface ImageFacts {
  width?: number;
  height?: number;
  /** File size in bytes. */
  bytes?: number;
  mime?: string;
}

const MB = 1024 * 1024;

/**
 * Every limit the image breaks, each as a clause like `is 200×200 px; it must be at least
 * 300×300 px`. Limits whose facts are unknown are not judged. `params` are the node's params,
 * for limits that depend on one (the upscaler's scale).
 */
export function checkImageLimits(limits: ImageLimits, image: ImageFacts, params: Record<string, unknown> = {}): string[] {
  const broken: string[] = [];
  const { width, height, bytes, mime } = image;
  const size = width !== undefined && height !== undefined ? `${width}×${height} px` : undefined;
  if (width !== undefined && height !== undefined) {
    const tooSmall = (limits.minWidth !== undefined && width < limits.minWidth) || (limits.minHeight !== undefined && height < limits.minHeight);
    if (tooSmall) broken.push(`is ${size}; it must be at least ${limits.minWidth ?? 1}×${limits.minHeight ?? 1} px`);
    const tooLarge = (limits.maxWidth !== undefined && width > limits.maxWidth) || (limits.maxHeight !== undefined && height > limits.maxHeight);
    if (tooLarge) broken.push(`is ${size}; it must be at most ${limits.maxWidth ?? '∞'}×${limits.maxHeight ?? '∞'} px`);
    const aspect = width / height;
    if ((limits.minAspect !== undefined && aspect < limits.minAspect) || (limits.maxAspect !== undefined && aspect > limits.maxAspect)) {
      broken.push(`is ${size} (aspect ${formatAspect(aspect)}); the aspect must be ${aspectRange(limits)}`);
    }
    const megapixels = (width * height) / 1e6;
    if (limits.maxMegapixels !== undefined && megapixels > limits.maxMegapixels) {
      broken.push(`is ${size} (${round(megapixels)} MP); it must be at most ${limits.maxMegapixels} MP`);
    }
    const output = limits.maxOutputMegapixels;
    const scale = output ? scaleOf(params[output.scaleParam]) : undefined;
    if (output && scale !== undefined && megapixels * scale * scale > output.megapixels) {
      broken.push(
        `is ${size}; at ${output.scaleParam} ${String(params[output.scaleParam])} the result would be ${width * scale}×${height * scale} px (${round(megapixels * scale * scale)} MP), over the ${output.megapixels} MP the endpoint makes`,
      );
    }
  }
  if (limits.maxBytes !== undefined && bytes !== undefined && bytes > limits.maxBytes) {
    broken.push(`is ${formatBytes(bytes)}; it must be at most ${formatBytes(limits.maxBytes)}`);
  }
  if (limits.formats && mime && !limits.formats.includes(mime.toLowerCase() as ImageFormat)) {
    broken.push(`is ${formatName(mime)}; it must be ${formatList(limits.formats)}`);
  }
  return broken;
}

/** The limits as short phrases for the editor: `at least 300×300 px`, `aspect 1:2.5–2.5:1`, `≤ 10 MB`. */
export function describeImageLimits(limits: ImageLimits): string[] {
  const out: string[] = [];
  if (limits.minWidth !== undefined || limits.minHeight !== undefined) out.push(`at least ${limits.minWidth ?? 1}×${limits.minHeight ?? 1} px`);
  if (limits.maxWidth !== undefined || limits.maxHeight !== undefined) out.push(`at most ${limits.maxWidth ?? '∞'}×${limits.maxHeight ?? '∞'} px`);
  if (limits.minAspect !== undefined || limits.maxAspect !== undefined) out.push(`aspect ${aspectRange(limits)}`);
  if (limits.maxMegapixels !== undefined) out.push(`≤ ${limits.maxMegapixels} MP`);
  if (limits.maxOutputMegapixels) out.push(`result (image × ${limits.maxOutputMegapixels.scaleParam}) ≤ ${limits.maxOutputMegapixels.megapixels} MP`);
  if (limits.maxBytes !== undefined) out.push(`≤ ${formatBytes(limits.maxBytes)}`);
  if (limits.formats) out.push(formatList(limits.formats));
  return out;
}

/** `1:2.5` for 0.4, `2.5:1` for 2.5, `1:1` for 1. */
export function formatAspect(ratio: number): string {
  const two = (n: number) => Math.round(n * 100) / 100;
  return ratio >= 1 ? `${two(ratio)}:1` : `1:${two(1 / ratio)}`;
}

function aspectRange(limits: ImageLimits): string {
  if (limits.minAspect !== undefined && limits.maxAspect !== undefined) return `${formatAspect(limits.minAspect)}–${formatAspect(limits.maxAspect)}`;
  return limits.minAspect !== undefined ? `at least ${formatAspect(limits.minAspect)}` : `at most ${formatAspect(limits.maxAspect!)}`;
}

/** `2`, `'2'`, `'4x'` → the number; anything else → undefined (the limit is not judged). */
function scaleOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number.parseFloat(value) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function formatBytes(bytes: number): string {
  if (bytes >= MB) return `${round(bytes / MB)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

function formatName(mime: string): string {
  const sub = mime.split('/')[1] ?? mime;
  return sub === 'jpeg' ? 'JPG' : sub.toUpperCase();
}

function formatList(formats: readonly string[]): string {
  const names = formats.map(formatName);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}
