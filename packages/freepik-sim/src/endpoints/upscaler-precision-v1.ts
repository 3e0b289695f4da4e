import sharp from 'sharp';
import { TaskFailure } from '../core/errors.ts';
import { encodeLike } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { precisionV1Body } from './seed-rules.ts';

/** Precision V1 takes no scale factor in the seeds (S3:692-761); the simulator doubles the size. */
const SCALE = 2;

/** Magnific Precision V1: base64-only input, 2× resize, sharpened by `sharpen`. */
export const upscalerPrecisionV1 = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.upscaler-precision-v1',
  path: '/v1/ai/image-upscaler-precision',
  mode: 'async',
  body: precisionV1Body,
  imageFields: [{ name: 'image', accepts: 'base64' }],
  latencyMs: 8_000,
  async produce({ body, images, maxOutputPixels, maxInputPixels }) {
    const source = images.image[0];
    const width = source.width * SCALE;
    const height = source.height * SCALE;
    if (width * height > maxOutputPixels) throw new TaskFailure(`output ${width}×${height} exceeds ${maxOutputPixels} pixels`);
    let pipeline = sharp(source.data, { limitInputPixels: maxInputPixels }).rotate().resize(width, height, { kernel: 'lanczos3', fit: 'fill' });
    const sharpen = Number(body.sharpen);
    if (sharpen > 0) pipeline = pipeline.sharpen({ sigma: 0.5 + sharpen / 40 });
    return { files: [await encodeLike(pipeline, source.format)] };
  },
});
