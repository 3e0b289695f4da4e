import { z } from 'zod';
import { TaskFailure, notFound } from '../core/errors.ts';
import { ICON_SOURCES, iconFile } from './text-to-icon.ts';
import { defineTaskEndpoint, type RouteEndpoint } from './types.ts';

const ICON_ENDPOINTS = ['freepik.text-to-icon', 'freepik.text-to-icon-preview'];
const params = z.object({ taskId: z.string().min(1), format: z.enum(['png', 'svg']) });

/**
 * The render task itself: created on the icon task's route below, never on a path of its
 * own. It has no status route and its request no `webhook_url`, so its result reaches
 * only the webhook the icon task was created with.
 */
const renderTask = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.text-to-icon-render',
  path: '/v1/ai/text-to-icon/render',
  mode: 'webhook-only',
  body: z.object({ source: z.string(), format: z.enum(['png', 'svg']) }),
  latencyMs: 1_000,
  async produce({ body }) {
    const svg = ICON_SOURCES.get(body.source);
    if (!svg) throw new TaskFailure('the icon to render is not finished');
    return { files: [await iconFile(svg, body.format)] };
  },
});

/**
 * POST /v1/ai/text-to-icon/{task-id}/render/{format} (S4:5966-6081): "the Text to Icon
 * process has started" — it answers as the seed shows, in progress with no file
 * (`{data:{task_id,status:'IN_PROGRESS',generated:[]}}`), and the rendered file arrives
 * by webhook, at the icon task's `webhook_url` (text-to-icon requires one), as the
 * render task's COMPLETED status. Unknown ids (or another key's) are 404.
 */
export const textToIconRender: RouteEndpoint = {
  kind: 'routes',
  id: 'freepik.text-to-icon-render',
  register(app, sim) {
    app.post('/v1/ai/text-to-icon/:taskId/render/:format', async (request) => {
      const apiKey = sim.apiKeyOf(request);
      const { taskId, format } = sim.parse(params, request.params);
      const icon = sim.getTask(apiKey, taskId);
      if (!icon || !ICON_ENDPOINTS.includes(icon.endpointId)) throw notFound();
      sim.count(apiKey, renderTask.id, 'submission');
      const task = sim.startTask(request, renderTask, { source: taskId, format }, icon.webhookUrl);
      return { data: { task_id: task.taskId, status: 'IN_PROGRESS', generated: [] } };
    });
  },
};
