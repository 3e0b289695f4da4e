/**
 * What every simulated Kling endpoint returns: a real, playable H.264 MP4
 * (256×144, 12 fps, baseline profile, faststart) of the requested duration,
 * shipped under packages/freepik-sim/fixtures/ (made once with ffmpeg's testsrc2;
 * 37 KB and 74 KB). Also the Kling 2.1 and Kling Elements families, whose
 * variants differ only in id, create path and status routes.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TaskFailure } from '../core/errors.ts';
import { defineTaskEndpoint, type DecodedImage, type OutputFile } from './types.ts';
import { klingElementsBody, klingV21Body } from './seed-rules.ts';

const fixture = (seconds: 5 | 10) => readFileSync(new URL(`../../fixtures/kling-${seconds}s.mp4`, import.meta.url));
const VIDEOS = { '5': fixture(5), '10': fixture(10) } as const;

export function klingVideo(duration: unknown): OutputFile {
  return { data: VIDEOS[duration === '10' ? '10' : '5'], mime: 'video/mp4', ext: 'mp4' };
}

/** "The image file size cannot exceed 10MB" (S4:3616, 3979, 4342, 4696; Elements "under 10MB", S4:5030, 5361). */
const KLING_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Kling's image rules: at least 300×300 px, aspect ratio between 1:2.5 and 2.5:1, at most 10 MB
 * (S4:3616); `jpegOrPng` where the docs name the formats (Elements' images S4:5033, the static
 * mask S4:3640). Freepik documents no error for these: the task ends FAILED, as its FAILED has no reason.
 */
export function checkKlingImage(image: DecodedImage | undefined, jpegOrPng = false): void {
  if (!image) return;
  const ratio = image.width / image.height;
  if (image.width < 300 || image.height < 300) throw new TaskFailure(`${image.field} is smaller than 300×300`);
  if (ratio < 1 / 2.5 || ratio > 2.5) throw new TaskFailure(`${image.field} aspect ratio is outside 1:2.5–2.5:1`);
  if (image.data.length > KLING_MAX_BYTES) throw new TaskFailure(`${image.field} is larger than 10 MB`);
  if (jpegOrPng && image.format !== 'jpeg' && image.format !== 'png') throw new TaskFailure(`${image.field} is ${image.format}, not jpg or png`);
}


/** What every Kling endpoint declares alike: async, the POST answers `{data:{task_id,status}}`, about 20 s to finish. */
export const KLING_TASK = {
  kind: 'task',
  mode: 'async',
  createResponse: 'envelope-without-generated',
  latencyMs: 20_000,
} as const;

export interface KlingVariant {
  /** The catalog node id, e.g. `freepik.kling-v2-1-pro`. */
  id: string;
  /** Create path (POST); also the list route. */
  path: string;
  /** Status routes with `:taskId`. */
  statusPaths: string[];
}

/** Kling 2.1 master/pro/std: an image, a prompt or both (the prompt is required without an image, S4:3621). */
export function klingV21Endpoint({ id, path, statusPaths }: KlingVariant) {
  return defineTaskEndpoint({
    ...KLING_TASK,
    id,
    path,
    statusPaths,
    body: klingV21Body,
    imageFields: [
      { name: 'image', accepts: 'both' },
      { name: 'static_mask', accepts: 'both' },
    ],
    async produce({ body, images }) {
      checkKlingImage(images.image[0]);
      checkKlingImage(images.static_mask[0], true);
      return { files: [klingVideo(body.duration)] };
    },
  });
}

/** Kling Elements pro/std: 1–4 image URLs (no base64); at most 3 unfinished tasks per key (S4:5017, 5348). */
export function klingElementsEndpoint({ id, path, statusPaths }: KlingVariant) {
  return defineTaskEndpoint({
    ...KLING_TASK,
    id,
    path,
    statusPaths,
    body: klingElementsBody,
    imageFields: [{ name: 'images', list: true, accepts: 'url' }],
    maxConcurrentTasks: 3,
    async produce({ body, images }) {
      for (const image of images.images) checkKlingImage(image, true);
      return { files: [klingVideo(body.duration)] };
    },
  });
}
