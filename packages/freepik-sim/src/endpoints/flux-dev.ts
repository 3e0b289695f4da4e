import { createRng } from '../core/rng.ts';
import { promptPicture, sizeFor } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { fluxDevBody } from './seed-rules.ts';

/** Flux dev: the prompt drawn; a given `seed` repeats the picture. POST answers without `generated`. */
export const fluxDev = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.flux-dev',
  path: '/v1/ai/text-to-image/flux-dev',
  mode: 'async',
  createResponse: 'envelope-without-generated',
  body: fluxDevBody,
  latencyMs: 4_000,
  async produce({ body, rng }) {
    const random = typeof body.seed === 'number' ? createRng(body.seed) : rng;
    const styling = (body.styling ?? {}) as { colors?: { color: string }[] };
    const picture = await promptPicture(String(body.prompt ?? ''), sizeFor(String(body.aspect_ratio), 1024), random, {
      label: `flux-dev${typeof body.seed === 'number' ? ` · seed ${body.seed}` : ''}`,
      colors: styling.colors?.map((c) => c.color),
    });
    return { files: [picture] };
  },
});
