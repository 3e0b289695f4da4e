import { z } from 'zod';
import { defineFreepikTaskNode, firstImage } from '../freepik-task.ts';
import { advanced, enumOf, magnificEngine, percent, prompt, stylingColor } from './shared-fields.ts';

const ASPECT_RATIOS = [
  'square_1_1',
  'classic_4_3',
  'traditional_3_4',
  'widescreen_16_9',
  'social_story_9_16',
  'smartphone_horizontal_20_9',
  'smartphone_vertical_9_20',
  'standard_3_2',
  'portrait_2_3',
  'horizontal_2_1',
  'vertical_1_2',
  'social_5_4',
  'social_post_4_5',
] as const;
/** The fluid model (Imagen 3 underneath) takes only these (S3:143-149). */
const FLUID_ASPECT_RATIOS: readonly string[] = ['square_1_1', 'social_story_9_16', 'widescreen_16_9', 'traditional_3_4', 'classic_4_3'];

export const mystic = defineFreepikTaskNode({
  id: 'freepik.mystic',
  title: 'Mystic',
  category: 'image-generation',
  description:
    "Freepik's photorealistic text-to-image, up to 4k, with optional structure and style references and LoRA styles/characters.",
  inputs: [
    { name: 'prompt', type: 'text', label: 'Prompt' },
    { name: 'structure_reference', type: 'image', label: 'Structure reference', accepts: 'base64' },
    { name: 'style_reference', type: 'image', label: 'Style reference', accepts: 'base64' },
  ],
  outputs: [{ name: 'image', type: 'image', label: 'Image' }],
  params: z
    .object({
      prompt: prompt('What to generate; empty gives a random image. @character or @character::200 uses a LoRA character'),
      structure_strength: advanced(percent(50, 'How much of the structure reference shape to keep (only with a structure reference)')),
      adherence: advanced(percent(50, 'Prompt fidelity versus style fidelity (only with a style reference)')),
      hdr: advanced(percent(50, 'Detail versus natural look (only with a style reference)')),
      resolution: enumOf(['1k', '2k', '4k']).default('2k'),
      aspect_ratio: enumOf(ASPECT_RATIOS).default('square_1_1'),
      // S4 lists only realism, fluid, zen; S3 (newer) adds the rest.
      model: enumOf(['realism', 'fluid', 'zen', 'flexible', 'super_real', 'editorial_portraits']).default('realism'),
      creative_detailing: advanced(percent(33, 'More detail per pixel at the cost of a more HDR look')),
      engine: advanced(magnificEngine()),
      fixed_generation: advanced(z.boolean().default(false).describe('Same settings give the same image')),
      filter_nsfw: advanced(z.boolean().default(true).describe('Only authorised accounts may turn this off')),
      styling: advanced(
        z
          .object({
            styles: z.array(z.object({ name: z.string().min(1), strength: z.number().min(0).default(100) })).optional(),
            characters: z.array(z.object({ id: z.string().min(1), strength: z.number().min(0).default(100) })).optional(),
            colors: z.array(stylingColor).optional(),
          })
          .optional()
          .describe('LoRA styles and characters (ignored by fluid/flexible/super_real/editorial_portraits and with references), colour palette'),
      ),
    })
    .refine((p) => p.model !== 'fluid' || FLUID_ASPECT_RATIOS.includes(p.aspect_ratio), {
      path: ['aspect_ratio'],
      message: `the fluid model takes only ${FLUID_ASPECT_RATIOS.join(', ')}`,
    }),
  task: {
    path: '/v1/ai/mystic',
    body: ({ params, inputs }) => ({
      ...params,
      structure_reference: inputs.structure_reference,
      style_reference: inputs.style_reference,
    }),
    extract: firstImage,
  },
  summaryParams: ['prompt', 'model', 'resolution'],
});
