import { promptPicture, sizeFor } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { imagen3Body } from './seed-rules.ts';

/**
 * Imagen 3: `num_images` pictures of the prompt. As in the documented GET example
 * (S4:1391-1400), `generated` holds bare base64 PNGs, not URLs: they are handed
 * out through `extra`, which the core spreads over `generated` in COMPLETED status
 * and webhook bodies.
 */
export const imagen3 = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.imagen3',
  path: '/v1/ai/text-to-image/imagen3',
  mode: 'async',
  body: imagen3Body,
  latencyMs: 4_000,
  async produce({ body, rng }) {
    const size = sizeFor(String(body.aspect_ratio), 1024);
    const generated: string[] = [];
    for (let i = 0; i < Number(body.num_images); i++) {
      const picture = await promptPicture(String(body.prompt), size, rng, { label: `imagen3 #${i + 1}`, format: 'png' });
      generated.push(picture.data.toString('base64'));
    }
    return { extra: { generated } };
  },
});
