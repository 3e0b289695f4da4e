import { z } from 'zod';
import { defineFreepikTaskNode, firstImage } from '../freepik-task.ts';
import { PikflowError } from '../errors.ts';
import { advanced, enumOf, optionalPercent, percent, prompt } from './shared-fields.ts';

/** Usually linked from another node, so kept behind "Advanced settings" as a typed value. */
const lightSource = (what: string) =>
  advanced(z.string().min(1).optional().describe(`${what}: a public URL or base64, or connect an image to the port`));
const BOTH_LIGHTS = 'use transfer_light_from_reference_image or transfer_light_from_lightmap, not both';

export const relight = defineFreepikTaskNode({
  id: 'freepik.relight',
  title: 'Relight',
  category: 'image-edit',
  description:
    'Changes the lighting of an image from a prompt, a reference image or a lightmap (one of the two images at most).',
  inputs: [
    { name: 'image', type: 'image', label: 'Image', required: true, accepts: 'both' },
    { name: 'prompt', type: 'text', label: 'Prompt' },
    { name: 'transfer_light_from_reference_image', type: 'image', label: 'Light reference', accepts: 'both' },
    { name: 'transfer_light_from_lightmap', type: 'image', label: 'Lightmap', accepts: 'both' },
  ],
  outputs: [{ name: 'image', type: 'image', label: 'Relit image' }],
  params: z
    .object({
      prompt: prompt('Describe the light; emphasise with (dark scene:1.3), weights 1–1.4'),
      // Params as well as ports: typed values (URL/base64) are checked here; linked images, which the
      // engine hands over as inputs, are checked when the request is built.
      transfer_light_from_reference_image: lightSource('Copy the light of this image'),
      transfer_light_from_lightmap: lightSource('Copy the light of this lightmap'),
      light_transfer_strength: percent(100, '0 keeps the original light, 100 transfers the most'),
      interpolate_from_original: advanced(z.boolean().default(false).describe('Blend from the original by the strength above')),
      change_background: z.boolean().default(true).describe('Turn off for landscapes and interiors'),
      style: enumOf(['standard', 'darker_but_realistic', 'clean', 'smooth', 'brighter', 'contrasted_n_hdr', 'just_composition']).default(
        'standard',
      ),
      preserve_details: advanced(z.boolean().default(true).describe('Keep textures and small details')),
      // Child attributes are hidden in the seeds; names from the S4:2525-2535 example, enums from Freepik's own client (HK relight).
      advanced_settings: advanced(
        z
          .object({
            whites: optionalPercent(),
            blacks: optionalPercent(),
            brightness: optionalPercent(),
            contrast: optionalPercent(),
            saturation: optionalPercent(),
            engine: enumOf(['automatic', 'balanced', 'cool', 'real', 'illusio', 'fairy', 'colorful_anime', 'hard_transform', 'soft']).optional(),
            transfer_light_a: enumOf(['automatic', 'low', 'medium', 'normal', 'high', 'high_on_faces']).optional(),
            transfer_light_b: enumOf([
              'automatic',
              'composition',
              'straight',
              'smooth_in',
              'smooth_out',
              'smooth_both',
              'reverse_both',
              'soft_in',
              'soft_out',
              'soft_mid',
              'strong_mid',
              'style_shift',
              'strong_shift',
            ]).optional(),
            fixed_generation: z.boolean().optional(),
          })
          .optional(),
      ),
    })
    .refine((p) => !(p.transfer_light_from_reference_image && p.transfer_light_from_lightmap), {
      path: ['transfer_light_from_lightmap'],
      message: BOTH_LIGHTS,
    }),
  task: {
    path: '/v1/ai/image-relight',
    body: ({ params, inputs }) => {
      const reference = params.transfer_light_from_reference_image ?? (inputs.transfer_light_from_reference_image as string | undefined);
      const lightmap = params.transfer_light_from_lightmap ?? (inputs.transfer_light_from_lightmap as string | undefined);
      if (reference && lightmap) throw new PikflowError('invalid_input', BOTH_LIGHTS, { field: 'transfer_light_from_lightmap' });
      return { image: inputs.image, ...params, transfer_light_from_reference_image: reference, transfer_light_from_lightmap: lightmap };
    },
    extract: firstImage,
  },
  summaryParams: ['prompt', 'style'],
});
