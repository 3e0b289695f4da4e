import { z } from 'zod';
import { defineFreepikTaskNode, firstImage } from '../freepik-task.ts';
import { advanced, enumOf, percent, prompt } from './shared-fields.ts';

export const styleTransfer = defineFreepikTaskNode({
  id: 'freepik.style-transfer',
  title: 'Style transfer',
  category: 'image-edit',
  description: 'Repaints an image in the style of a reference image.',
  inputs: [
    { name: 'image', type: 'image', label: 'Image', required: true, accepts: 'both' },
    { name: 'reference_image', type: 'image', label: 'Style reference', required: true, accepts: 'both' },
    { name: 'prompt', type: 'text', label: 'Prompt' },
  ],
  outputs: [{ name: 'image', type: 'image', label: 'Styled image' }],
  params: z.object({
    prompt: prompt('Guidance for the AI'),
    style_strength: percent(100, 'How much of the style to apply'),
    structure_strength: percent(50, 'How much of the original structure to keep'),
    flavor: enumOf(['faithful', 'gen_z', 'psychedelia', 'detaily', 'clear', 'donotstyle', 'donotstyle_sharp'], {
      gen_z: 'Gen Z',
      donotstyle: "Don't style",
      donotstyle_sharp: "Don't style (sharp)",
    }).default('faithful'),
    engine: enumOf(['balanced', 'definio', 'illusio', '3d_cartoon', 'colorful_anime', 'caricature', 'real', 'super_real', 'softy']).default(
      'balanced',
    ),
    is_portrait: advanced(z.boolean().default(false).describe('Enables portrait style and beautifier')),
    portrait_style: advanced(enumOf(['standard', 'pop', 'super_pop']).default('standard').describe('Only with is_portrait')),
    portrait_beautifier: advanced(
      enumOf(['beautify_face', 'beautify_face_max'], { beautify_face_max: 'Beautify face (max)' }).optional().describe('Only with is_portrait'),
    ),
    fixed_generation: advanced(z.boolean().default(false).describe('Same settings give the same image')),
  }),
  task: {
    path: '/v1/ai/image-style-transfer',
    // The POST answers flat `{task_id, task_status, generated}`; the GET uses the data envelope (S3:562-575). readTask reads both.
    body: ({ params, inputs }) => ({ image: inputs.image, reference_image: inputs.reference_image, ...params }),
    extract: firstImage,
  },
  summaryParams: ['style_strength', 'engine'],
});
