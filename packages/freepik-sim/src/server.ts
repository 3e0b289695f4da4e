import multipart from '@fastify/multipart';
import { hostNameOf, makeHostCheck } from '@pikflow/pipeline/url-safety';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerAdminRoutes } from './core/admin-routes.ts';
import type { SimConfig, SimConfigInput } from './core/config.ts';
import { SimHttpError, VALIDATION_MESSAGE } from './core/errors.ts';
import { createGuard } from './core/guard.ts';
import { SimCore } from './core/sim-core.ts';
import type { SimStats } from './core/stats.ts';
import { registerTaskEndpoints } from './core/task-routes.ts';
import { registerUploadService } from './core/uploads.ts';
import { SIM_ENDPOINTS } from './endpoints/index.ts';
import type { SimEndpoint, TaskEndpoint } from './endpoints/types.ts';

export interface SimulatorOptions extends SimConfigInput {
  /** Fastify logger; off unless given. */
  logger?: FastifyServerOptions['logger'];
  /** Base URL put into result URLs; default: the origin each request arrived on. */
  publicUrl?: string;
  /** Endpoints to serve; default every endpoint in ./endpoints/index.ts. */
  endpoints?: readonly SimEndpoint[];
}

/** Runtime control of a simulator, in-process (the same as the /__sim routes). */
export interface SimController {
  readonly config: SimConfig;
  configure(patch: SimConfigInput): SimConfig;
  stats(): SimStats;
  /** Clears counters and rate-limit windows; tasks and files stay. */
  resetStats(): void;
  /** Resolves when every queued webhook delivery has finished. */
  webhooksIdle(): Promise<void>;
}

export type SimulatorApp = FastifyInstance & { sim: SimController };

function parseForm(body: string): Record<string, unknown> {
  const params = new URLSearchParams(body);
  const result: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    result[key] = values.length > 1 ? values : values[0];
  }
  return result;
}

/** Builds the simulator's Fastify instance (not listening). */
export async function buildSimulator(options: SimulatorOptions = {}): Promise<SimulatorApp> {
  const { logger = false, publicUrl, endpoints = SIM_ENDPOINTS, ...config } = options;
  const app = Fastify({ logger, bodyLimit: 64 * 1024 * 1024 });
  const core = new SimCore(config, app.log, publicUrl);

  const controller: SimController = {
    get config() {
      return core.config;
    },
    configure: (patch) => core.configure(patch),
    stats: () => core.stats.snapshot(),
    resetStats: () => core.resetStats(),
    webhooksIdle: () => core.webhooks.idle(),
  };
  app.decorate('sim', controller);
  app.addHook('onClose', async () => core.close());

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseForm(body as string));
  });
  await app.register(multipart, { limits: { fileSize: 50 * 1024 * 1024, files: 4, fields: 20 } });

  // Read once at start (not part of the runtime config patch): who may reach this simulator.
  const allowedHosts = core.config.allowedHosts;
  const hostAllowed = allowedHosts === 'any' ? undefined : makeHostCheck(allowedHosts);
  app.addHook('onRequest', async (request, reply) => {
    if (!hostAllowed) return;
    const name = hostNameOf(request.headers.host);
    if (name === undefined || !hostAllowed(name)) return reply.code(403).send({ message: 'Host not allowed' });
  });

  const guard = createGuard({ config: () => core.config, rng: () => core.rng(), stats: core.stats, limiter: core.limiter });
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/v1/')) await guard(request, reply);
  });

  app.setErrorHandler((error: FastifyError | SimHttpError, request, reply) => {
    if (error instanceof SimHttpError) return reply.code(error.statusCode).headers(error.headers).send(error.body);
    const status = error.statusCode ?? 500;
    if (status === 413) return reply.code(413).send({ message: 'Request Entity Too Large' });
    if (status === 400 && error.code?.startsWith('FST_ERR_CTP')) {
      return reply.code(400).send({ message: VALIDATION_MESSAGE, invalid_params: [{ name: 'body', reason: error.message }] });
    }
    if (status >= 400 && status < 500) return reply.code(status).send({ message: error.message });
    request.log.error({ err: error }, 'simulator error');
    return reply.code(500).send({ message: 'Internal Server Error' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ message: 'Not found' }));

  registerAdminRoutes(app, core);
  registerUploadService(app, core);
  const taskEndpoints = endpoints.filter((e): e is TaskEndpoint => e.kind === 'task');
  await app.register(async (scope) => registerTaskEndpoints(scope, core, taskEndpoints));
  for (const endpoint of endpoints) {
    if (endpoint.kind === 'routes') await app.register(async (scope) => endpoint.register(scope, core));
  }
  return app as unknown as SimulatorApp;
}

export interface StartOptions extends SimulatorOptions {
  /** 0 = any free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningSimulator extends SimController {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
  port: number;
  app: SimulatorApp;
  close(): Promise<void>;
}

/** Builds and starts the simulator; the embedding form used by tests. */
export async function startSimulator(options: StartOptions = {}): Promise<RunningSimulator> {
  const { port = 0, host = '127.0.0.1', ...rest } = options;
  const app = await buildSimulator(rest);
  await app.listen({ port, host });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const sim = app.sim;
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    app,
    get config() {
      return sim.config;
    },
    configure: (patch) => sim.configure(patch),
    stats: () => sim.stats(),
    resetStats: () => sim.resetStats(),
    webhooksIdle: () => sim.webhooksIdle(),
    close: () => app.close(),
  };
}
