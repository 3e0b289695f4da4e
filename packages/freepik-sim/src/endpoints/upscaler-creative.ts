import sharp from 'sharp';
import { TaskFailure } from '../core/errors.ts';
import { encodeLike } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { creativeUpscalerBody } from './seed-rules.ts';

/** The creative upscaler refuses results above 25.3 MP (S2:43-44). */
const MAX_OUTPUT_PIXELS = 25_300_000;

/** Magnific creative upscaler: resizes by scale_factor; creativity/hdr move saturation and contrast. */
export const upscalerCreative = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.upscaler-creative',
  path: '/v1/ai/image-upscaler',
  mode: 'async',
  body: creativeUpscalerBody,
  imageFields: [{ name: 'image', accepts: 'base64' }],
  latencyMs: 10_000,
  async produce({ body, images, maxOutputPixels, maxInputPixels }) {
    const source = images.image[0];
    const scale = Number.parseInt(String(body.scale_factor), 10);
    const width = source.width * scale;
    const height = source.height * scale;
    if (width * height > Math.min(MAX_OUTPUT_PIXELS, maxOutputPixels)) {
      throw new TaskFailure(`output ${width}×${height} exceeds ${MAX_OUTPUT_PIXELS} pixels`);
    }
    const creativity = Number(body.creativity) / 10;
    const hdr = Number(body.hdr) / 10;
    const pipeline = sharp(source.data, { limitInputPixels: maxInputPixels })
      .rotate()
      .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
      .modulate({ saturation: 1 + 0.3 * creativity })
      .linear(1 + 0.15 * hdr, -12 * hdr)
      .sharpen({ sigma: 1 });
    return { files: [await encodeLike(pipeline, source.format)] };
  },
});
