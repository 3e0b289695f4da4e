/**
 * What every simulated Kling endpoint returns: a real, playable H.264 MP4
 * (256×144, 12 fps, baseline profile, faststart) of the requested duration,
 * shipped under packages/freepik-sim/fixtures/ (made once with ffmpeg's testsrc2;
 * 37 KB and 74 KB).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TaskFailure } from '../core/errors.ts';
import { imageValue, nodeBody } from './schema-helpers.ts';
import type { DecodedImage, OutputFile } from './types.ts';

const fixture = (seconds: 5 | 10) => readFileSync(new URL(`../../fixtures/kling-${seconds}s.mp4`, import.meta.url));
const VIDEOS = { '5': fixture(5), '10': fixture(10) } as const;

export function klingVideo(duration: unknown): OutputFile {
  return { data: VIDEOS[duration === '10' ? '10' : '5'], mime: 'video/mp4', ext: 'mp4' };
}

/** Kling's image rules: at least 300×300 px, aspect ratio between 1:2.5 and 2.5:1 (S4:3616). */
export function checkKlingImage(image: DecodedImage | undefined): void {
  if (!image) return;
  const ratio = image.width / image.height;
  if (image.width < 300 || image.height < 300) throw new TaskFailure(`${image.field} is smaller than 300×300`);
  if (ratio < 1 / 2.5 || ratio > 2.5) throw new TaskFailure(`${image.field} aspect ratio is outside 1:2.5–2.5:1`);
}

/** The body of the three Kling 2.1 endpoints: prompt is required when no image is given. */
export function klingV21Body(nodeId: string) {
  return nodeBody(nodeId, { image: imageValue.optional(), static_mask: imageValue.optional() }).refine(
    (b) => typeof b.image === 'string' || (typeof b.prompt === 'string' && b.prompt.length > 0),
    { path: ['prompt'], message: 'prompt is required when image is not provided' },
  );
}

export const klingElementsImages = z
  .array(z.url({ protocol: /^https?$/, error: 'images must be public URLs' }))
  .min(1, 'give at least one image')
  .max(4, 'at most 4 images');
