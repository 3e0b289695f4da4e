import type { FastifyInstance } from 'fastify';
import { configPatchSchema, publicConfig } from './config.ts';
import { SimHttpError } from './errors.ts';
import { EXPIRED_XML, MISSING_XML } from './files.ts';
import type { SimCore } from './sim-core.ts';
import { keyLabel } from './stats.ts';
import { issuesToParams } from './validation.ts';

/** /__sim/*: stats, reset, runtime config and the result files. No API key needed. */
export function registerAdminRoutes(app: FastifyInstance, core: SimCore): void {
  app.get<{ Querystring: { key?: string } }>('/__sim/stats', async (request) => {
    const stats = core.stats.snapshot();
    // ?key=<api key> narrows to that key's counters (the caller knows the key; the response never holds it).
    if (request.query.key) return stats.byKey[keyLabel(request.query.key)] ?? null;
    return stats;
  });

  app.post('/__sim/reset', async () => {
    core.resetStats();
    return { ok: true };
  });

  app.get('/__sim/config', async () => publicConfig(core.config));

  app.post('/__sim/config', async (request) => {
    const parsed = configPatchSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      throw new SimHttpError(400, { message: 'Invalid simulator config.', invalid_params: issuesToParams(parsed.error.issues) });
    }
    return publicConfig(core.configure(parsed.data));
  });

  app.get<{ Params: { name: string } }>('/__sim/files/:name', async (request, reply) => {
    const file = core.files.get(request.params.name);
    if (file.state === 'ok') return reply.type(file.mime).header('cache-control', 'private, max-age=0').send(file.data);
    return reply
      .code(file.state === 'expired' ? 403 : 404)
      .type('application/xml; charset=UTF-8')
      .send(file.state === 'expired' ? EXPIRED_XML : MISSING_XML);
  });
}
