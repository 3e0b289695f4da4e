import { notFound } from '../core/errors.ts';
import { z } from 'zod';
import { ICON_SOURCES, iconFile } from './text-to-icon.ts';
import type { RouteEndpoint } from './types.ts';

const ICON_ENDPOINTS = ['freepik.text-to-icon', 'freepik.text-to-icon-preview'];
const params = z.object({ taskId: z.string().min(1), format: z.enum(['png', 'svg']) });

/**
 * POST /v1/ai/text-to-icon/{task-id}/render/{format} (S4:5966-6081): renders a
 * finished icon task of this key. While the icon is unfinished it answers the
 * documented `{data:{status:IN_PROGRESS, generated:[]}}`; unknown ids are 404.
 */
export const textToIconRender: RouteEndpoint = {
  kind: 'routes',
  id: 'freepik.text-to-icon-render',
  register(app, sim) {
    app.post('/v1/ai/text-to-icon/:taskId/render/:format', async (request) => {
      const apiKey = sim.apiKeyOf(request);
      const { taskId, format } = sim.parse(params, request.params);
      const task = sim.getTask(apiKey, taskId);
      if (!task || !ICON_ENDPOINTS.includes(task.endpointId)) throw notFound();
      sim.count(apiKey, 'freepik.text-to-icon-render', 'submission');
      const svg = ICON_SOURCES.get(taskId);
      if (task.status !== 'COMPLETED' || !svg) return { data: { task_id: taskId, status: task.status, generated: [] } };
      const url = sim.storeFile(await iconFile(svg, format), sim.originOf(request));
      return { data: { task_id: taskId, status: 'COMPLETED', generated: [url] } };
    });
  },
};
