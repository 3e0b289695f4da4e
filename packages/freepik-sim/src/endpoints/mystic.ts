import sharp from 'sharp';
import { meanColour, promptPicture, sizeFor, textSvg } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { mysticBody } from './seed-rules.ts';

const LONG_SIDE = { '1k': 1024, '2k': 2048, '4k': 4096 } as const;
const hex = ({ r, g, b }: { r: number; g: number; b: number }) =>
  `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;

/**
 * Mystic: draws the prompt at the requested resolution and aspect ratio. A style
 * reference lends its mean colour, styling.colors set the palette, a structure
 * reference shows through by structure_strength. Status adds `has_nsfw` (S4:603-614).
 */
export const mystic = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.mystic',
  path: '/v1/ai/mystic',
  mode: 'async',
  body: mysticBody,
  imageFields: [
    { name: 'structure_reference', accepts: 'base64' },
    { name: 'style_reference', accepts: 'base64' },
  ],
  latencyMs: 6_000,
  async produce({ body, images, rng }) {
    const size = sizeFor(String(body.aspect_ratio), LONG_SIDE[body.resolution as keyof typeof LONG_SIDE] ?? 2048);
    const styling = (body.styling ?? {}) as { colors?: { color: string }[] };
    const style = images.style_reference[0];
    const colors = styling.colors?.map((c) => c.color) ?? (style ? [hex(await meanColour(style.data)), '#101010'] : undefined);
    const label = `mystic · ${String(body.model)} · ${String(body.engine)}`;
    const picture = await promptPicture(String(body.prompt ?? ''), size, rng, { label, colors });
    const structure = images.structure_reference[0];
    if (!structure) return { files: [picture], extra: { has_nsfw: [false] } };
    // The structure shows through the generated colours in proportion to structure_strength.
    const keep = Number(body.structure_strength) / 100;
    const tinted = await sharp(picture.data).ensureAlpha(Math.max(0.05, 1 - keep)).png().toBuffer();
    const data = await sharp(structure.data)
      .rotate()
      .resize(size.width, size.height, { fit: 'cover' })
      .composite([{ input: tinted }, { input: Buffer.from(textSvg('', size.width, size.height, { label })) }])
      .jpeg({ quality: 85 })
      .toBuffer();
    return { files: [{ data, mime: 'image/jpeg', ext: 'jpg' }], extra: { has_nsfw: [false] } };
  },
});
