import sharp from 'sharp';
import { encodeLike, ratioOf, textSvg } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { reimagineBody } from './seed-rules.ts';

const LOOK = { wild: { hue: 120, saturation: 1.6 }, vivid: { hue: 20, saturation: 1.8 }, subtle: { hue: 8, saturation: 1.15 } } as const;

/** Reimagine Flux (sync beta): the image re-coloured by `imagination`, cropped to `aspect_ratio`, prompt noted. */
export const reimagineFlux = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.reimagine-flux',
  path: '/v1/ai/beta/text-to-image/reimagine-flux',
  mode: 'sync',
  body: reimagineBody,
  imageFields: [{ name: 'image', accepts: 'base64' }],
  latencyMs: 1_500,
  async produce({ body, images }) {
    const source = images.image[0];
    const look = LOOK[(body.imagination as keyof typeof LOOK) ?? 'subtle'] ?? LOOK.subtle;
    let { width, height } = source;
    if (body.aspect_ratio !== 'original') {
      const r = ratioOf(String(body.aspect_ratio));
      if (width / height > r) width = Math.round(height * r);
      else height = Math.round(width / r);
    }
    const pipeline = sharp(source.data)
      .rotate()
      .resize(width, height, { fit: 'cover' })
      .modulate({ hue: look.hue, saturation: look.saturation })
      .composite([{ input: Buffer.from(textSvg('', width, height, { label: `reimagined: ${String(body.prompt ?? '')}`.slice(0, 80) })) }]);
    return { files: [await encodeLike(pipeline, source.format)] };
  },
});
