/**
 * Field builders and tiny pure helpers shared by several endpoint files. Each
 * endpoint still lives in its own declarative file; this only keeps identical
 * documented fields (Kling's, the stock filters) from being typed three times.
 */
import { z } from 'zod';
import type { HttpRequest } from '../define-node.ts';
import type { ImageLimits } from '../image-limits.ts';
import type { TaskSnapshot } from '../task-response.ts';

/**
 * The stock endpoints' `Accept-Language` header (S4:6201, 6953, 7238, 7834, 7948): the
 * search language as ISO 639-1 with an optional ISO 3166-1 country; Freepik uses en-US
 * when it is absent or unknown. A param named after the header, sent as the header.
 */
export const acceptLanguage = z
  .string()
  .regex(/^[A-Za-z]{2}(?:-[A-Za-z]{2})?$/, 'a language code such as en-US, es-ES or fr')
  .optional()
  .describe('Search language (Accept-Language), e.g. es-ES; Freepik uses en-US when empty')
  .meta({ advanced: true });

/** The request headers for an `Accept-Language` param, when one is set. */
export function languageHeaders(language: string | undefined): { headers?: Record<string, string> } {
  return language ? { headers: { 'Accept-Language': language } } : {};
}

/**
 * A field the editor keeps behind "Advanced settings": the form opens with the few fields that
 * matter and this one a click away. Carried in the JSON Schema as `advanced: true`.
 */
export const advanced = <T extends z.ZodType>(field: T): T => field.meta({ advanced: true });

/** How the editor spells words of enum values: abbreviations in capitals, `_n_` as "&". */
const SPELLING: Record<string, string> = {
  '3d': '3D',
  hdr: 'HDR',
  png: 'PNG',
  svg: 'SVG',
  jpg: 'JPG',
  psd: 'PSD',
  ai: 'AI',
  eps: 'EPS',
  gif: 'GIF',
  mp4: 'MP4',
  aep: 'AEP',
  json: 'JSON',
  atn: 'ATN',
  '1k': '1K',
  '2k': '2K',
  '4k': '4K',
  n: '&',
};

/**
 * The name a user reads for an enum value: `square_1_1` → "Square 1:1", `art_n_illustration`
 * → "Art & illustration", `3d-render` → "3D render", `2k` → "2K".
 */
export function optionLabel(value: string): string {
  const ratio = /^(.*?)_?(\d+)_(\d+)$/.exec(value);
  const [words, suffix] = ratio ? [ratio[1], ` ${ratio[2]}:${ratio[3]}`] : [value, ''];
  const text = words
    .split(/[_-]+/)
    .filter(Boolean)
    .map((w) => SPELLING[w] ?? w)
    .join(' ');
  const label = `${text}${suffix}`.trim();
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/**
 * An enum of the API's own values, each with the label the editor shows (`labels` in the JSON
 * Schema): derived by optionLabel unless given here.
 */
export function enumOf<const T extends readonly [string, ...string[]]>(values: T, labels: Partial<Record<T[number], string>> = {}) {
  const given: Partial<Record<string, string>> = labels;
  return z.enum(values).meta({ labels: Object.fromEntries(values.map((v) => [v, given[v] ?? optionLabel(v)])) });
}

/** Mystic's and the creative upscaler's `engine` (S4:314-659, 1864-2015): Magnific's engines by name. */
export const magnificEngine = () =>
  enumOf(['automatic', 'magnific_illusio', 'magnific_sharpy', 'magnific_sparkle'], {
    magnific_illusio: 'Magnific Illusio',
    magnific_sharpy: 'Magnific Sharpy',
    magnific_sparkle: 'Magnific Sparkle',
  }).default('automatic');

/** An integer percentage 0–100 with its documented default. */
export const percent = (fallback: number, what: string) => z.number().int().min(0).max(100).default(fallback).describe(what);

/** An optional integer percentage 0–100 (documented range, no documented default); `what` only when it says more than the name. */
export const optionalPercent = (what?: string) => {
  const field = z.number().int().min(0).max(100).optional();
  return what ? field.describe(what) : field;
};

export const prompt = (what: string, max?: number) =>
  (max ? z.string().max(max, `at most ${max} characters`) : z.string()).optional().describe(what).meta({ ui: 'textarea' });

/**
 * Kling's documented image rules, the same on every Kling endpoint: "The image file size cannot
 * exceed 10MB, and the resolution should not be less than 300x300px. Aspect ratio should be
 * between 1:2.5 ~ 2.5:1" (S4:3616, 3979, 4342, 4696; Elements: S4:5030, 5361).
 */
export const klingImageLimits: ImageLimits = { minWidth: 300, minHeight: 300, minAspect: 1 / 2.5, maxAspect: 2.5, maxBytes: 10 * 1024 * 1024 };

/**
 * Kling's rules with the formats named where the docs name them: Elements' images ("Supported
 * formats: jpg, jpeg, png", S4:5033, 5364) and the 2.1 static mask ("follow the same format
 * requirements as the image field … .jpg / .jpeg / .png", S4:3638-3640, 4001-4003, 4364-4366).
 */
export const klingJpegPngLimits: ImageLimits = { ...klingImageLimits, formats: ['image/jpeg', 'image/png'] };

/** The raw response body as a record (sync endpoints answer without a task envelope). */
export function body(task: TaskSnapshot): Record<string, unknown> {
  const raw = task.raw;
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/** `data` of a `{data: …}` response. */
export function dataOf(task: TaskSnapshot): unknown {
  return body(task).data;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Flattens nested filter objects into Freepik's bracket query keys:
 * `{orientation: {landscape: 1}}` → `filters[orientation][landscape]=1`.
 */
export function bracketQuery(prefix: string, value: unknown, out: NonNullable<HttpRequest['query']> = {}) {
  if (value === undefined || value === null) return out;
  if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) bracketQuery(`${prefix}[${k}]`, v, out);
  } else if (Array.isArray(value)) {
    // A list filter repeats its key, one value each: filters[icon_type][]=a&filters[icon_type][]=b (S4:7022).
    if (value.length) out[`${prefix}[]`] = value.map(String);
  } else {
    out[prefix] = value as string | number | boolean;
  }
  return out;
}

/** Kling's `duration` is the string "5" or "10", not a number (S4:3600-3604). */
export const klingDuration = enumOf(['5', '10'], { '5': '5 s', '10': '10 s' }).describe('Length of the video in seconds');

export const klingCfgScale = z
  .number()
  .min(0)
  .max(1)
  .default(0.5)
  .describe('Higher: follows the prompt more closely, less freedom')
  .meta({ advanced: true });

/** Flux dev's aspect ratios (S4:1495-1846); Reimagine Flux takes the same plus `original`. Labels: optionLabel. */
export const MYSTIC_LIKE_ASPECT_RATIOS = [
  'square_1_1',
  'classic_4_3',
  'traditional_3_4',
  'widescreen_16_9',
  'social_story_9_16',
  'standard_3_2',
  'portrait_2_3',
  'horizontal_2_1',
  'vertical_1_2',
  'social_post_4_5',
] as const;

/**
 * A colour with a weight, as in Mystic and Flux dev `styling.colors`. The seeds hide the
 * child attributes and show only the example `{color: "#FF0000", weight: 0.5}` (S4:647-651,
 * 1623-1628), so neither the colour format nor the weight's range is checked here:
 * Freepik decides (undocumented, see docs/catalog.md).
 */
export const stylingColor = z.object({
  color: z.string().min(1).describe('e.g. #FF0000 (format undocumented)'),
  weight: z.number().describe('e.g. 0.5 (range undocumented)'),
});

/** Is this URL's path a picture a user can see (not a zip)? */
export function looksLikeImageUrl(url: unknown): url is string {
  if (typeof url !== 'string') return false;
  try {
    return /\.(png|jpe?g|webp|gif|svg)$/i.test(new URL(url).pathname);
  } catch {
    return false;
  }
}

/** A stock file's picture: its `url`, else its `signed_url`, when either is an image (not a zip). */
export function pictureOf(file: Record<string, unknown>): string | undefined {
  return looksLikeImageUrl(file.url) ? file.url : looksLikeImageUrl(file.signed_url) ? file.signed_url : undefined;
}

/** A stock search answer `{data: [item], meta}`: each item's picture and the first item's id. */
export function searchPage(task: TaskSnapshot, pictureOfItem: (item: unknown) => string | undefined) {
  const data = dataOf(task);
  const items = Array.isArray(data) ? data : [];
  const first = items[0];
  return {
    pictures: items.map(pictureOfItem).filter((u): u is string => !!u),
    firstId: isRecord(first) && first.id !== undefined ? String(first.id) : undefined,
  };
}

/** A Freepik numeric id arriving as a number or as digits on a text port; `what` names the field. */
export const numericId = (what: string) =>
  z.union([z.number().int().min(1), z.string().regex(/^\d+$/, `${what} is a number`)]).meta({ title: what });

/** A 0/1 switch of the stock filters, shown as Off/On; Freepik's default is 0 (off). `title` when the key says less. */
export const flag = (title?: string) =>
  z
    .union([z.literal(0), z.literal(1)])
    .optional()
    .meta({ labels: { 0: 'Off', 1: 'On' }, ...(title ? { title } : {}) });

/** The largest thumbnail URL of a Flaticon icon record (`thumbnails[].url`). */
export function iconThumbnail(icon: unknown): string | undefined {
  if (!isRecord(icon) || !Array.isArray(icon.thumbnails)) return undefined;
  const thumbs = icon.thumbnails.filter((t): t is Record<string, unknown> => isRecord(t) && typeof t.url === 'string');
  thumbs.sort((a, b) => Number(b.width ?? 0) - Number(a.width ?? 0));
  return thumbs[0]?.url as string | undefined;
}
