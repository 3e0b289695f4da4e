import sharp from 'sharp';
import { TaskFailure } from '../core/errors.ts';
import { defineTaskEndpoint } from './types.ts';
import { precisionV2Body } from './seed-rules.ts';

/** Magnific Precision V2: really resizes by scale_factor and sharpens by `sharpen`. */
export const upscalerPrecisionV2 = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.upscaler-precision-v2',
  path: '/v1/ai/image-upscaler-precision-v2',
  mode: 'async',
  body: precisionV2Body,
  imageFields: [{ name: 'image', accepts: 'both' }],
  latencyMs: 8_000,
  async produce({ body, images, maxOutputPixels, maxInputPixels }) {
    const source = images.image[0];
    const scale = Number(body.scale_factor);
    const width = source.width * scale;
    const height = source.height * scale;
    if (width * height > maxOutputPixels) {
      throw new TaskFailure(`output ${width}×${height} exceeds ${maxOutputPixels} pixels`);
    }
    const sharpen = typeof body.sharpen === 'number' ? body.sharpen : 7;
    let pipeline = sharp(source.data, { limitInputPixels: maxInputPixels })
      .rotate()
      .resize(width, height, { kernel: 'lanczos3', fit: 'fill' });
    // sharpen 0 means "leave edges alone"; otherwise a stronger unsharp mask the higher it is.
    if (sharpen > 0) pipeline = pipeline.sharpen({ sigma: 0.5 + sharpen / 40 });
    const jpeg = source.format === 'jpeg';
    const data = await (jpeg ? pipeline.jpeg({ quality: 92 }) : pipeline.png()).toBuffer();
    return { files: [{ data, mime: jpeg ? 'image/jpeg' : 'image/png', ext: jpeg ? 'jpg' : 'png' }] };
  },
});
