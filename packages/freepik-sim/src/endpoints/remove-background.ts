import sharp from 'sharp';
import { z } from 'zod';
import { invalidParams } from '../core/errors.ts';
import { defineTaskEndpoint } from './types.ts';
import { removeBackgroundBody } from './seed-rules.ts';

const FIVE_MINUTES = 5 * 60 * 1000;
/** Preview images hold at most 0.25 MP (docs.freepik.com/api-reference/remove-background). */
const PREVIEW_PIXELS = 250_000;
/** Inputs: "≤ 20 MB, JPG/PNG" (docs.freepik.com/api-reference/remove-background; not in the seeds). */
const MAX_INPUT_BYTES = 20 * 1024 * 1024;

/** Alpha from each pixel's distance to the mean corner colour: the background goes transparent. */
async function cutOut(source: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(source).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const at = (x: number, y: number) => (y * width + x) * 3;
  const corners = [at(0, 0), at(width - 1, 0), at(0, height - 1), at(width - 1, height - 1)];
  const bg = [0, 1, 2].map((c) => corners.reduce((sum, i) => sum + data[i + c]!, 0) / corners.length);
  const alpha = Buffer.alloc(width * height);
  for (let p = 0; p < width * height; p++) {
    const i = p * 3;
    const d = Math.hypot(data[i]! - bg[0]!, data[i + 1]! - bg[1]!, data[i + 2]! - bg[2]!);
    alpha[p] = Math.max(0, Math.min(255, Math.round((d - 24) * 4)));
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .joinChannel(alpha, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
}

/**
 * Remove background (sync beta, form-urlencoded `image_url`, URL only). Answers
 * `{original, high_resolution, preview, url}` with no envelope; the URLs expire
 * after 5 minutes (S3:411-464).
 */
export const removeBackground = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.remove-background',
  path: '/v1/ai/beta/remove-background',
  mode: 'sync',
  body: removeBackgroundBody,
  imageFields: [{ name: 'image_url', accepts: 'url' }],
  resultTtlMs: FIVE_MINUTES,
  latencyMs: 1_500,
  async produce({ images }) {
    const source = images.image_url[0];
    // The documented input rules; the docs give no error body, so the usual 400 shape is assumed.
    if (source.data.length > MAX_INPUT_BYTES) throw invalidParams([{ name: 'image_url', reason: 'image_url is larger than 20 MB' }]);
    if (source.format !== 'jpeg' && source.format !== 'png') throw invalidParams([{ name: 'image_url', reason: `image_url is ${source.format}; JPG or PNG only` }]);
    const full = await cutOut(source.data);
    const scale = Math.min(1, Math.sqrt(PREVIEW_PIXELS / (source.width * source.height)));
    const preview = await sharp(full)
      .resize(Math.max(1, Math.floor(source.width * scale)), Math.max(1, Math.floor(source.height * scale)))
      .png()
      .toBuffer();
    const originalExt = source.format === 'jpeg' ? 'jpg' : source.format;
    return {
      files: [
        { data: full, mime: 'image/png', ext: 'png' },
        { data: preview, mime: 'image/png', ext: 'png' },
        { data: source.data, mime: `image/${source.format}`, ext: originalExt },
      ],
    };
  },
  syncResponse: ({ urls: [highResolution, preview, original] }) => ({
    original,
    high_resolution: highResolution,
    preview,
    url: highResolution,
  }),
});
