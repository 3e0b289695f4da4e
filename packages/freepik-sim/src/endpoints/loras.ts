import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { promptPicture } from './sim-images.ts';
import type { RouteEndpoint } from './types.ts';
import { loraCharacterBody, loraStyleBody } from './seed-rules.ts';

const PREVIEW_PREFIX = '/__sim/loras/';
const DEFAULT_TRAINING_MS = 30_000;

/** The three built-in LoRAs of the docs example (S4:705-745). */
const DEFAULTS = [
  { id: 1, name: 'vintage-japanese', description: 'Expect bold red colors and a sense of nostalgia, bringing to life classic Japanese elements.', category: 'illustration', type: 'style' },
  { id: 2, name: 'sara', description: 'sara', category: 'people', type: 'character' },
  { id: 3, name: 'glasses', description: 'glasses', category: 'glasses', type: 'product' },
];

interface Training {
  apiKey: string;
  taskId: string;
  id: number;
  name: string;
  description: string;
  type: 'style' | 'character';
  startedAt: number;
}


/**
 * LoRAs: GET /v1/ai/loras (sync list), POST /v1/ai/loras/styles and /characters
 * (training accepted as an IN_PROGRESS task; its progress shows only in the list,
 * as the docs say: "check the status of the training calling v1/ai/loras").
 */
export const loras: RouteEndpoint = {
  kind: 'routes',
  id: 'freepik.loras',
  register(app, sim) {
    // Per simulator instance, so parallel test simulators do not share trainings.
    const trainings: Training[] = [];
    const trainingMs = (endpointId: string) =>
      sim.config.latencyByEndpoint[endpointId] ?? sim.config.latencyMs ?? DEFAULT_TRAINING_MS;

    app.get('/v1/ai/loras', async (request) => {
      const apiKey = sim.apiKeyOf(request);
      sim.count(apiKey, 'freepik.loras-list', 'submission');
      const origin = sim.originOf(request);
      const preview = (id: number) => `${origin}${PREVIEW_PREFIX}${id}.jpg`;
      const now = Date.now();
      return {
        data: {
          default: DEFAULTS.map((l) => ({ ...l, preview: preview(l.id), training: { status: 'completed', defaultScale: 1.2 } })),
          customs: trainings
            .filter((t) => t.apiKey === apiKey)
            .map((t) => ({
              id: t.id,
              name: t.name,
              description: t.description,
              category: t.type === 'character' ? 'people' : 'custom',
              type: t.type,
              preview: preview(t.id),
              training: {
                status: now - t.startedAt >= trainingMs(`freepik.lora-train-${t.type}`) ? 'completed' : 'in_progress',
                defaultScale: 1.2,
              },
            })),
        },
      };
    });

    for (const type of ['style', 'character'] as const) {
      const endpointId = `freepik.lora-train-${type}`;
      app.post(`/v1/ai/loras/${type}s`, async (request) => {
        const apiKey = sim.apiKeyOf(request);
        const body = sim.parse(type === 'style' ? loraStyleBody : loraCharacterBody, request.body);
        for (const [i, url] of body.images.entries()) await sim.decodeImage(`images.${i}`, url, 'url');
        const training: Training = {
          apiKey,
          taskId: randomUUID(),
          id: 1000 + trainings.length,
          name: String(body.name),
          description: typeof body.description === 'string' ? body.description : '',
          type,
          startedAt: Date.now(),
        };
        trainings.push(training);
        sim.count(apiKey, endpointId, 'submission');
        return { data: { task_id: training.taskId, status: 'IN_PROGRESS', generated: [] } };
      });
    }

    // Preview pictures of the LoRAs, public like Freepik's CDN.
    app.get<{ Params: { file: string } }>(`${PREVIEW_PREFIX}:file`, async (request, reply) => {
      const id = Number.parseInt(request.params.file, 10);
      const name = DEFAULTS.find((l) => l.id === id)?.name ?? trainings.find((t) => t.id === id)?.name;
      if (!name) return reply.code(404).send({ message: 'Not found' });
      const seed = id;
      const picture = await promptPicture(name, { width: 256, height: 256 }, () => ((seed * 9301 + 49297) % 233280) / 233280);
      return reply.type(picture.mime).send(picture.data);
    });
  },
};
