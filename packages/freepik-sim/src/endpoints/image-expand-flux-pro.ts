import sharp from 'sharp';
import { TaskFailure } from '../core/errors.ts';
import { encodeLike } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { imageExpandBody } from './seed-rules.ts';

/** Image expand (Flux Pro): pads each side by its pixels, filled by mirroring the edge. */
export const imageExpandFluxPro = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.image-expand-flux-pro',
  path: '/v1/ai/image-expand/flux-pro',
  mode: 'async',
  body: imageExpandBody,
  imageFields: [{ name: 'image', accepts: 'base64' }],
  latencyMs: 8_000,
  async produce({ body, images, maxOutputPixels }) {
    const source = images.image[0];
    const side = (v: unknown) => (typeof v === 'number' ? v : 0);
    const [left, right, top, bottom] = [side(body.left), side(body.right), side(body.top), side(body.bottom)];
    const width = source.width + left + right;
    const height = source.height + top + bottom;
    if (width * height > maxOutputPixels) throw new TaskFailure(`output ${width}×${height} exceeds ${maxOutputPixels} pixels`);
    // Mirroring needs the padding no larger than the image; beyond that repeat it.
    const mirror = left <= source.width && right <= source.width && top <= source.height && bottom <= source.height;
    const pipeline = sharp(await sharp(source.data).rotate().toBuffer()).extend({
      left,
      right,
      top,
      bottom,
      extendWith: mirror ? 'mirror' : 'repeat',
    });
    return { files: [await encodeLike(pipeline, source.format)] };
  },
});
