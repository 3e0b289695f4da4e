/**
 * The simulator's request rules, written from the seed documents (S0 = shared/seeds/000…,
 * S1 = 001…, S2 = 002…, S3 = 003…, S4 = 004…) and not from the catalog: the catalog's node
 * schemas are what these rules check, so they must not be the same code. A catalog node that
 * drifts from the seeds (an invented field, a wrong range or enum) is refused here with
 * Freepik's 400 `invalid_params` naming the field.
 *
 * - Top-level bodies are strict: a field the seeds do not document is refused ("not a
 *   documented field"). Freepik's own handling of unknown fields is undocumented; refusing
 *   them is what makes the simulator catch drift.
 * - Objects whose children the seeds hide (Mystic/Imagen3/Flux `styling`, Relight
 *   `advanced_settings`) take the fields their request examples show, loosely typed, and
 *   drop the rest.
 * - Defaults are the documented ones, so `produce` sees what Freepik would use. Where the
 *   seeds document none, the rule says what the simulator assumes.
 */
import { z } from 'zod';
import { imageValue, webhookUrl } from './schema-helpers.ts';

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const percent = (fallback: number) => int(0, 100).default(fallback);
const text = (max?: number) => (max ? z.string().max(max, `at most ${max} characters`) : z.string());
const optionalWebhook = { webhook_url: webhookUrl.optional() };

/** Gemini 2.5 Flash (S0:36-99): prompt required, up to 3 reference images (base64 or URL). */
export const geminiBody = z.strictObject({
  prompt: z.string({ error: 'prompt is required' }).min(1, 'prompt must not be empty'),
  reference_images: z.array(imageValue).max(3, 'at most 3 reference images').optional(),
  ...optionalWebhook,
});

/**
 * Precision V2 (S1:137-286, S0:218-251). `scale_factor` is 2–16 as an integer or the same
 * digits as a string. The official spec leaves it optional with no default (S1:205-208; the
 * user's notes call it required, S0:249): absent, the simulator upscales 2×, the smallest
 * documented factor.
 */
export const precisionV2Body = z.strictObject({
  image: imageValue,
  sharpen: percent(7),
  smart_grain: percent(7),
  ultra_detail: percent(30),
  flavor: z.enum(['sublime', 'photo', 'photo_denoiser']).optional(),
  scale_factor: z.union([int(2, 16), z.string().regex(/^(2|3|4|5|6|7|8|9|1[0-6])$/, 'scale_factor must be 2–16')]).default(2),
  ...optionalWebhook,
});

/** Precision V1 (S3:692-761): base64 image; sharpen defaults to 50 here. */
export const precisionV1Body = z.strictObject({
  image: imageValue,
  sharpen: percent(50),
  smart_grain: percent(7),
  ultra_detail: percent(30),
  ...optionalWebhook,
});

/** Magnific creative upscaler (S2:8-185, S4:1968-2140). */
export const creativeUpscalerBody = z.strictObject({
  image: imageValue,
  scale_factor: z.enum(['2x', '4x', '8x', '16x']).default('2x'),
  optimized_for: z
    .enum([
      'standard', 'soft_portraits', 'hard_portraits', 'art_n_illustration', 'videogame_assets',
      'nature_n_landscapes', 'films_n_photography', '3d_renders', 'science_fiction_n_horror',
    ])
    .default('standard'),
  prompt: text().optional(),
  creativity: int(-10, 10).default(0),
  hdr: int(-10, 10).default(0),
  resemblance: int(-10, 10).default(0),
  fractality: int(-10, 10).default(0),
  engine: z.enum(['automatic', 'magnific_illusio', 'magnific_sharpy', 'magnific_sparkle']).default('automatic'),
  ...optionalWebhook,
});

const MYSTIC_ASPECT_RATIOS = [
  'square_1_1', 'classic_4_3', 'traditional_3_4', 'widescreen_16_9', 'social_story_9_16', 'smartphone_horizontal_20_9',
  'smartphone_vertical_9_20', 'standard_3_2', 'portrait_2_3', 'horizontal_2_1', 'vertical_1_2', 'social_5_4', 'social_post_4_5',
] as const;
/** "For the fluid model, only this values are valid" (S3:143-149). */
const FLUID_ASPECT_RATIOS: readonly string[] = ['square_1_1', 'social_story_9_16', 'widescreen_16_9', 'traditional_3_4', 'classic_4_3'];

/** A colour entry as the Mystic and Flux examples show it (S4:647-651, 1623-1628); its limits are hidden. */
const exampleColour = z.object({ color: z.string(), weight: z.number() });

/** Mystic (S3:30-232, S4:314-659). Its `styling` children are hidden; the example shows styles, characters, colors. */
export const mysticBody = z
  .strictObject({
    prompt: text().optional(),
    structure_reference: imageValue.optional(),
    structure_strength: percent(50),
    style_reference: imageValue.optional(),
    adherence: percent(50),
    hdr: percent(50),
    resolution: z.enum(['1k', '2k', '4k']).default('2k'),
    aspect_ratio: z.enum(MYSTIC_ASPECT_RATIOS).default('square_1_1'),
    model: z.enum(['realism', 'fluid', 'zen', 'flexible', 'super_real', 'editorial_portraits']).default('realism'),
    creative_detailing: percent(33),
    engine: z.enum(['automatic', 'magnific_illusio', 'magnific_sharpy', 'magnific_sparkle']).default('automatic'),
    fixed_generation: z.boolean().default(false),
    filter_nsfw: z.boolean().default(true),
    styling: z
      .object({
        styles: z.array(z.object({ name: z.string(), strength: z.number().optional() })).optional(),
        characters: z.array(z.object({ id: z.string(), strength: z.number().optional() })).optional(),
        colors: z.array(exampleColour).optional(),
      })
      .optional(),
    ...optionalWebhook,
  })
  .refine((b) => b.model !== 'fluid' || FLUID_ASPECT_RATIOS.includes(b.aspect_ratio), {
    path: ['aspect_ratio'],
    message: `the fluid model takes only ${FLUID_ASPECT_RATIOS.join(', ')}`,
  });

/** Imagen 3 (S4:1133-1290). `styling` children are hidden; the example shows style and effects. */
export const imagen3Body = z.strictObject({
  prompt: z.string({ error: 'prompt is required' }).min(1, 'prompt must not be empty'),
  num_images: int(1, 4).default(1),
  aspect_ratio: z.enum(['square_1_1', 'social_story_9_16', 'widescreen_16_9', 'traditional_3_4', 'classic_4_3']).default('square_1_1'),
  styling: z
    .object({
      style: z.string().optional(),
      effects: z.object({ color: z.string().optional(), lightning: z.string().optional(), framing: z.string().optional() }).optional(),
    })
    .optional(),
  person_generation: z.enum(['dont_allow', 'allow_adult', 'allow_all']).default('allow_all'),
  safety_settings: z.enum(['block_low_and_above', 'block_medium_and_above', 'block_only_high', 'block_none']).default('block_none'),
  ...optionalWebhook,
});

const FLUX_ASPECT_RATIOS = [
  'square_1_1', 'classic_4_3', 'traditional_3_4', 'widescreen_16_9', 'social_story_9_16',
  'standard_3_2', 'portrait_2_3', 'horizontal_2_1', 'vertical_1_2', 'social_post_4_5',
] as const;

/** Flux dev (S4:1495-1643). `styling` children are hidden; the example shows effects and colors. */
export const fluxDevBody = z.strictObject({
  prompt: text().optional(),
  aspect_ratio: z.enum(FLUX_ASPECT_RATIOS).default('square_1_1'),
  styling: z
    .object({
      effects: z.object({ color: z.string().optional(), framing: z.string().optional(), lightning: z.string().optional() }).optional(),
      colors: z.array(exampleColour).optional(),
    })
    .optional(),
  seed: int(1, 4294967295).optional(),
  ...optionalWebhook,
});

/** Reimagine Flux (S3:234-312, S4:1847-1967): base64 image; sync, though it takes a webhook_url. */
export const reimagineBody = z.strictObject({
  image: imageValue,
  prompt: text().optional(),
  imagination: z.enum(['wild', 'subtle', 'vivid']).optional(),
  aspect_ratio: z.enum(['original', ...FLUX_ASPECT_RATIOS]).default('original'),
  ...optionalWebhook,
});

/** Relight (S3:577-690, S4:2366-2552): a reference image or a lightmap, not both. `advanced_settings` children are hidden; the example (S4:2525-2535) shows these. */
export const relightBody = z
  .strictObject({
    image: imageValue,
    prompt: text().optional(),
    transfer_light_from_reference_image: imageValue.optional(),
    transfer_light_from_lightmap: imageValue.optional(),
    light_transfer_strength: percent(100),
    interpolate_from_original: z.boolean().default(false),
    change_background: z.boolean().default(true),
    style: z
      .enum(['standard', 'darker_but_realistic', 'clean', 'smooth', 'brighter', 'contrasted_n_hdr', 'just_composition'])
      .default('standard'),
    preserve_details: z.boolean().default(true),
    advanced_settings: z
      .object({
        whites: z.number().optional(),
        blacks: z.number().optional(),
        brightness: z.number().optional(),
        contrast: z.number().optional(),
        saturation: z.number().optional(),
        engine: z.string().optional(),
        transfer_light_a: z.string().optional(),
        transfer_light_b: z.string().optional(),
        fixed_generation: z.boolean().optional(),
      })
      .optional(),
    ...optionalWebhook,
  })
  .refine((b) => !(b.transfer_light_from_reference_image && b.transfer_light_from_lightmap), {
    path: ['transfer_light_from_lightmap'],
    message: "incompatible with 'transfer_light_from_reference_image'",
  });

/** Style transfer (S3:466-575, S4:2752-2932). */
export const styleTransferBody = z.strictObject({
  image: imageValue,
  reference_image: imageValue,
  prompt: text().optional(),
  style_strength: percent(100),
  structure_strength: percent(50),
  is_portrait: z.boolean().default(false),
  portrait_style: z.enum(['standard', 'pop', 'super_pop']).default('standard'),
  portrait_beautifier: z.enum(['beautify_face', 'beautify_face_max']).optional(),
  flavor: z.enum(['faithful', 'gen_z', 'psychedelia', 'detaily', 'clear', 'donotstyle', 'donotstyle_sharp']).default('faithful'),
  engine: z
    .enum(['balanced', 'definio', 'illusio', '3d_cartoon', 'colorful_anime', 'caricature', 'real', 'super_real', 'softy'])
    .default('balanced'),
  fixed_generation: z.boolean().default(false),
  ...optionalWebhook,
});

const expandSide = int(0, 2048).nullable().optional();

/** Image expand Flux Pro (S3:324-409, S4:3228-3468): base64 image, up to 2048 px per side. */
export const imageExpandBody = z.strictObject({
  image: imageValue,
  prompt: text().optional(),
  left: expandSide,
  right: expandSide,
  top: expandSide,
  bottom: expandSide,
  ...optionalWebhook,
});

/** Remove background (S3:411-464): form-urlencoded `image_url`, a URL (not marked required, but nothing works without it). */
export const removeBackgroundBody = z.strictObject({
  image_url: z.url({ protocol: /^https?$/, error: 'image_url must be a public http(s) URL' }),
});

/** AI classifier (S4:6082-6181). */
export const classifierBody = z.strictObject({ image: imageValue });

const klingDuration = z.enum(['5', '10'], { error: 'duration must be "5" or "10"' });
const klingCfgScale = z.number().min(0).max(1).default(0.5);

/** Kling 2.1 master/pro/std (S4:3574-3739): the prompt is required when no image is given (S4:3621). */
export const klingV21Body = z
  .strictObject({
    image: imageValue.optional(),
    prompt: text(2500).optional(),
    negative_prompt: text(2500).optional(),
    duration: klingDuration,
    cfg_scale: klingCfgScale,
    static_mask: imageValue.optional(),
    dynamic_masks: z.array(z.object({ mask: imageValue, trajectories: z.array(z.object({ x: z.number(), y: z.number() })) })).optional(),
    ...optionalWebhook,
  })
  .refine((b) => typeof b.image === 'string' || (typeof b.prompt === 'string' && b.prompt.length > 0), {
    path: ['prompt'],
    message: 'prompt is required when image is not provided',
  });

/** Kling v2 (S4:4666-4808): image and duration required. */
export const klingV2Body = z.strictObject({
  image: imageValue,
  duration: klingDuration,
  prompt: text(2500).optional(),
  negative_prompt: text(2500).optional(),
  cfg_scale: klingCfgScale,
  ...optionalWebhook,
});

/** Kling Elements pro/std (S4:5000-5130): 1–4 image URLs; no documented duration default (the simulator makes 5 s). */
export const klingElementsBody = z.strictObject({
  images: z
    .array(z.url({ protocol: /^https?$/, error: 'images must be public URLs' }))
    .min(1, 'give at least one image')
    .max(4, 'at most 4 images'),
  prompt: text(2500).optional(),
  negative_prompt: text(2500).optional(),
  duration: klingDuration.optional(),
  aspect_ratio: z.enum(['widescreen_16_9', 'social_story_9_16', 'square_1_1']).default('widescreen_16_9'),
  ...optionalWebhook,
});

const iconStyle = z.enum(['solid', 'outline', 'color', 'flat', 'sticker']).default('solid');

/** Text to icon (S4:5662-5790): `webhook_url` is required. */
export const textToIconBody = z.strictObject({
  prompt: z.string({ error: 'prompt is required' }).min(1, 'prompt must not be empty'),
  webhook_url: webhookUrl,
  format: z.enum(['png', 'svg']).default('png'),
  style: iconStyle,
  num_inference_steps: int(10, 50).optional(),
  guidance_scale: z.number().min(0).max(10).optional(),
});

/** Text to icon preview (S4:5829-5946): as text-to-icon, without `format`. */
export const textToIconPreviewBody = textToIconBody.omit({ format: true });

const trainingImages = (min: number) =>
  z
    .array(z.url({ protocol: /^https?$/, error: 'images must be public URLs' }))
    .min(min, `give at least ${min} images`)
    .max(20, 'at most 20 images');

/** LoRA style training (S4:835-951): 6–20 image URLs. */
export const loraStyleBody = z.strictObject({
  name: z.string({ error: 'name is required' }).min(1),
  quality: z.enum(['medium', 'high', 'ultra']),
  images: trainingImages(6),
  description: z.string().optional(),
  ...optionalWebhook,
});

/** LoRA character training (S4:981-1101): 8–20 image URLs. */
export const loraCharacterBody = z.strictObject({
  name: z.string({ error: 'name is required' }).min(1),
  quality: z.enum(['high', 'ultra']),
  gender: z.enum(['male', 'female', 'neutral', 'custom']),
  images: trainingImages(8),
  description: z.string().optional(),
  ...optionalWebhook,
});
