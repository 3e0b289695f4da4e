import sharp from 'sharp';
import { encodeLike } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { styleTransferBody } from './seed-rules.ts';

/**
 * Style transfer: blends the reference over the image, opacity from
 * style_strength and held back by structure_strength. The POST answers flat
 * `{task_id, task_status, generated}`; the GET uses the envelope (S3:562-575).
 */
export const styleTransfer = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.style-transfer',
  path: '/v1/ai/image-style-transfer',
  mode: 'async',
  createResponse: 'flat',
  body: styleTransferBody,
  imageFields: [
    { name: 'image', accepts: 'both' },
    { name: 'reference_image', accepts: 'both' },
  ],
  latencyMs: 8_000,
  async produce({ body, images }) {
    const source = images.image[0];
    const reference = images.reference_image[0];
    const opacity = Math.min(0.9, (Number(body.style_strength) / 100) * (1 - Number(body.structure_strength) / 200));
    const overlay = await sharp(reference.data)
      .rotate()
      .resize(source.width, source.height, { fit: 'cover' })
      .removeAlpha()
      .ensureAlpha(Math.max(0, opacity))
      .png()
      .toBuffer();
    const pipeline = sharp(await sharp(source.data).rotate().toBuffer()).composite([{ input: overlay, blend: 'over' }]);
    return { files: [await encodeLike(pipeline, source.format)] };
  },
});
