/**
 * Field builders and tiny pure helpers shared by several endpoint files. Each
 * endpoint still lives in its own declarative file; this only keeps identical
 * documented fields (Kling's, the stock filters) from being typed three times.
 */
import { z } from 'zod';
import type { TaskSnapshot } from '../task-response.ts';

/** An integer percentage 0–100 with its documented default. */
export const percent = (fallback: number, what: string) => z.number().int().min(0).max(100).default(fallback).describe(what);

/** An optional integer percentage 0–100 (documented range, no documented default). */
export const optionalPercent = (what: string) => z.number().int().min(0).max(100).optional().describe(what);

export const prompt = (what: string, max?: number) =>
  (max ? z.string().max(max, `at most ${max} characters`) : z.string()).optional().describe(what).meta({ ui: 'textarea' });

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
export function bracketQuery(prefix: string, value: unknown, out: Record<string, string | number | boolean | undefined> = {}) {
  if (value === undefined || value === null) return out;
  if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) bracketQuery(`${prefix}[${k}]`, v, out);
  } else if (Array.isArray(value)) {
    // The query record cannot repeat a key; Freepik's list filters take comma-separated values too.
    if (value.length) out[`${prefix}[]`] = value.join(',');
  } else {
    out[prefix] = value as string | number | boolean;
  }
  return out;
}

/** Kling's `duration` is the string "5" or "10", not a number (S4:3600-3604). */
export const klingDuration = z.enum(['5', '10']).describe('Length of the video in seconds');

export const klingCfgScale = z
  .number()
  .min(0)
  .max(1)
  .default(0.5)
  .describe('Higher: follows the prompt more closely, less freedom');

/** Kling 2.1 takes a prompt alone, an image alone or both ("required when image is not provided", S4:3621). */
export const NEEDS_IMAGE_OR_PROMPT = 'connect an image or write a prompt (the prompt is required without an image)';

/** Kling 2.1 image-to-video fields (master, pro, std share them: S4:3574-4664). */
export const klingV21Params = z.object({
  duration: klingDuration,
  prompt: prompt('Motion to generate; required when no image is connected', 2500),
  negative_prompt: prompt('What to avoid in the video', 2500),
  cfg_scale: klingCfgScale,
  dynamic_masks: z
    .array(
      z.object({
        mask: z.string().min(1).describe('Mask image: base64 or URL, same size as static_mask'),
        trajectories: z.array(z.object({ x: z.number().int(), y: z.number().int() })).min(1),
      }),
    )
    .optional()
    .describe('Motion brush: masked areas follow their trajectories'),
});

/** Kling Elements fields (pro and std share them: S4:5000-5661). */
export const klingElementsParams = z.object({
  prompt: prompt('Positive text prompt', 2500),
  negative_prompt: prompt('Negative text prompt', 2500),
  // Optional here, unlike the other Kling endpoints (S4:5048-5052).
  duration: klingDuration.optional(),
  aspect_ratio: z.enum(['widescreen_16_9', 'social_story_9_16', 'square_1_1']).default('widescreen_16_9'),
});

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

/** Hex colour with a weight, as in Mystic and Flux dev `styling.colors`. */
export const stylingColor = z.object({
  color: z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'use a #RRGGBB colour'),
  // The seeds hide the child attributes; the example uses 0.5 (S4:647-651).
  weight: z.number().min(0).max(1),
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

/** A Freepik numeric id arriving as a number or as digits on a text port. */
export const numericId = (what: string) =>
  z.union([z.number().int().min(1), z.string().regex(/^\d+$/, `${what} is a number`)]).describe(what);

/** A 0/1 switch of the stock filters; Freepik's default is 0 (off). */
export const flag = (what: string) => z.union([z.literal(0), z.literal(1)]).optional().describe(`${what} (1 on, 0 off; default 0)`);

/** The largest thumbnail URL of a Flaticon icon record (`thumbnails[].url`). */
export function iconThumbnail(icon: unknown): string | undefined {
  if (!isRecord(icon) || !Array.isArray(icon.thumbnails)) return undefined;
  const thumbs = icon.thumbnails.filter((t): t is Record<string, unknown> => isRecord(t) && typeof t.url === 'string');
  thumbs.sort((a, b) => Number(b.width ?? 0) - Number(a.width ?? 0));
  return thumbs[0]?.url as string | undefined;
}
