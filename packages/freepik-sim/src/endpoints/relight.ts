import sharp from 'sharp';
import { encodeLike, meanColour } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { relightBody } from './seed-rules.ts';

type Rgb = { r: number; g: number; b: number; brightness: number };

/** Light described by a prompt alone: a few words pick a colour and level. */
function lightFromPrompt(prompt: string): Rgb {
  const p = prompt.toLowerCase();
  if (/night|moon|dark|dusk/.test(p)) return { r: 60, g: 80, b: 150, brightness: 0.3 };
  if (/neon|club|cyber/.test(p)) return { r: 200, g: 60, b: 220, brightness: 0.5 };
  if (/noon|bright|studio|day/.test(p)) return { r: 250, g: 250, b: 240, brightness: 0.8 };
  return { r: 255, g: 170, b: 90, brightness: 0.6 }; // golden hour by default
}

const STYLE_BRIGHTNESS: Record<string, number> = { brighter: 1.15, darker_but_realistic: 0.8, contrasted_n_hdr: 1.0, clean: 1.05 };

/**
 * Relight: shifts the image's brightness toward the light source's level and
 * tints it with the source's colour, both by light_transfer_strength. The source
 * is the reference image or lightmap (mean colour), else words of the prompt.
 */
export const relight = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.relight',
  path: '/v1/ai/image-relight',
  mode: 'async',
  body: relightBody,
  imageFields: [
    { name: 'image', accepts: 'both' },
    { name: 'transfer_light_from_reference_image', accepts: 'both' },
    { name: 'transfer_light_from_lightmap', accepts: 'both' },
  ],
  latencyMs: 8_000,
  async produce({ body, images }) {
    const source = images.image[0];
    const lightImage = images.transfer_light_from_reference_image[0] ?? images.transfer_light_from_lightmap[0];
    const light = lightImage ? await meanColour(lightImage.data) : lightFromPrompt(String(body.prompt ?? ''));
    const base = await meanColour(source.data);
    const strength = Number(body.light_transfer_strength) / 100;
    const ratio = Math.min(1.8, Math.max(0.4, light.brightness / Math.max(0.05, base.brightness)));
    const advanced = (body.advanced_settings ?? {}) as Record<string, number | undefined>;
    const brightness = (1 + (ratio - 1) * strength) * (STYLE_BRIGHTNESS[String(body.style)] ?? 1) * (0.5 + (advanced.brightness ?? 50) / 100);
    const saturation = 0.5 + (advanced.saturation ?? 50) / 100;
    const contrast = 0.5 + (advanced.contrast ?? 50) / 100;
    const { width, height } = source;
    const pipeline = sharp(await sharp(source.data).rotate().toBuffer())
      .modulate({ brightness, saturation })
      .linear(contrast, 128 * (1 - contrast))
      .composite([
        {
          input: { create: { width, height, channels: 4, background: { r: light.r, g: light.g, b: light.b, alpha: 0.55 * strength } } },
          blend: 'soft-light',
        },
      ]);
    return { files: [await encodeLike(pipeline, source.format)] };
  },
});
