/**
 * What Kling 2.1 master, pro and std share (S4:3574-4664): ports, body fields and
 * the image-or-prompt rule. Each variant's own file names its id, create path and
 * status route, which is where the three differ.
 */
import { z } from 'zod';
import { PikflowError } from '../errors.ts';
import { defineFreepikTaskNode, firstVideo } from '../freepik-task.ts';
import { advanced, klingCfgScale, klingDuration, klingImageLimits, klingJpegPngLimits, prompt } from './shared-fields.ts';

/** Kling 2.1 takes a prompt alone, an image alone or both ("required when image is not provided", S4:3621). */
const NEEDS_IMAGE_OR_PROMPT = 'connect an image or write a prompt (the prompt is required without an image)';

const klingV21Params = z.object({
  duration: klingDuration,
  prompt: prompt('Motion to generate; required when no image is connected', 2500),
  negative_prompt: advanced(prompt('What to avoid in the video', 2500)),
  cfg_scale: klingCfgScale,
  dynamic_masks: advanced(
    z
      .array(
        z.object({
          mask: z.string().min(1).describe('Mask image: base64 or URL, same size as static_mask'),
          // Pixel positions on the image; the seeds name no range (S4:3719).
          trajectories: z.array(z.object({ x: z.number().int(), y: z.number().int() })).min(1),
        }),
      )
      .optional()
      .describe('Motion brush: masked areas follow their trajectories'),
  ),
});

export interface KlingV21Variant {
  id: string;
  /** e.g. `Kling 2.1 Pro`: the title and description name it. */
  model: string;
  /** Create path (POST); also the list route. */
  path: string;
  /** Status route, when not `${path}/${taskId}`. */
  statusPath?(taskId: string): string;
}

export function klingV21Node({ id, model, path, statusPath }: KlingV21Variant) {
  return defineFreepikTaskNode({
    id,
    title: `${model} video`,
    category: 'video',
    description: `Animates an image (or a prompt alone) into a 5 or 10 second video with ${model}.`,
    inputs: [
      { name: 'image', type: 'image', label: 'Start image', accepts: 'both', imageLimits: klingImageLimits },
      { name: 'prompt', type: 'text', label: 'Prompt' },
      { name: 'static_mask', type: 'image', label: 'Static mask (motion brush)', accepts: 'both', imageLimits: klingJpegPngLimits },
    ],
    outputs: [{ name: 'video', type: 'video', label: 'Video' }],
    params: klingV21Params,
    task: {
      path,
      body: ({ params, inputs }) => {
        if (!inputs.image && !params.prompt) throw new PikflowError('invalid_input', NEEDS_IMAGE_OR_PROMPT, { field: 'prompt' });
        return { image: inputs.image, static_mask: inputs.static_mask, ...params };
      },
      statusPath,
      extract: firstVideo,
    },
    summaryParams: ['duration', 'prompt'],
  });
}
