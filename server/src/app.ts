import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createDb, type DbHandle } from '@pikflow/db';
import { createEngine, engineConfigFromEnv, type Engine, type EngineConfig } from '@pikflow/engine';
import { startSimulator, type RunningSimulator, type StartOptions } from '@pikflow/freepik-sim';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { isLoopbackAddress, type ServerConfig } from './config.ts';
import { pinoLogger, secretScrubber } from './logger.ts';
import auth from './plugins/auth.ts';
import errorHandler, { handleError } from './plugins/error-handler.ts';
import hostGuard from './plugins/host-guard.ts';
import safeInput from './plugins/safe-input.ts';
import securityHeaders from './plugins/security-headers.ts';
import services, { type Services } from './plugins/services.ts';
import staticEditor from './plugins/static-editor.ts';
import { assetRoutes } from './routes/assets.ts';
import { batchRoutes } from './routes/batches.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { healthRoutes } from './routes/health.ts';
import { pipelineRoutes } from './routes/pipelines.ts';
import { runEventRoutes } from './routes/run-events.ts';
import { runRoutes } from './routes/runs.ts';
import { templateRoutes } from './routes/templates.ts';
import { usageRoutes } from './routes/usage.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { ApiTokens } from './services/api-tokens.ts';
import { PipelineStore } from './services/pipeline-store.ts';
import { apiErrorSchema } from './schemas.ts';

export const SERVER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface EngineFactoryInput {
  config: EngineConfig;
  db: DbHandle;
  logger: Logger;
}

export interface BuildAppOptions {
  config: ServerConfig;
  /** Where log lines go (tests capture them); stdout by default. Secrets are scrubbed before it. */
  logStream?: Writable;
  /** An already running simulator to use instead of api.freepik.com. */
  simulator?: RunningSimulator;
  /** With no FREEPIK_API_KEY, start the bundled simulator in-process (default true). */
  bundledSimulator?: boolean;
  /** Extra settings for the bundled simulator (latency, faults). */
  simulatorOptions?: Omit<StartOptions, 'apiKeys' | 'webhookSecret' | 'port' | 'host' | 'logger'>;
  /** An open database (otherwise PGlite in DATA_DIR, or DATABASE_URL). Not closed by the app. */
  database?: DbHandle;
  /** The engine, or how to make one (default: @pikflow/engine's createEngine). */
  engine?: Engine | ((input: EngineFactoryInput) => Engine | Promise<Engine>);
  /** Environment for engine tuning (engineConfigFromEnv); process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/** Facts about the built app that main.ts prints and tests use. */
export interface PikflowInfo {
  /** The port the app must listen on (reserved up front when PORT=0, so publicUrl is known). */
  port: number;
  /** This server's URL from the machine it runs on. */
  localUrl: string;
  mode: 'simulator' | 'freepik';
  database: 'pglite' | 'postgres';
  simulator?: RunningSimulator;
  engineConfig: EngineConfig;
}

declare module 'fastify' {
  interface FastifyInstance {
    pikflow: PikflowInfo;
  }
}

const MIN_TOKEN_LENGTH = 16;
/** Body limit of API routes that take no document or run inputs (those set their own). */
const SMALL_BODY_BYTES = 64 * 1024;

/** A free TCP port on `host`, so URLs can be computed before listening. */
export async function reservePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

async function defaultEngine(input: EngineFactoryInput): Promise<Engine> {
  return createEngine(input);
}

/**
 * Builds the whole server (not listening): logger, Freepik target (real API or the
 * simulator), database, engine, and the Fastify app with every route. Use
 * `startServer` to also listen and start the engine (only once the socket is bound);
 * `app.close()` stops everything this function started.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  if (config.apiToken !== undefined && config.apiToken.length < MIN_TOKEN_LENGTH) {
    throw new Error(`PIKFLOW_API_TOKEN is too short: use at least ${MIN_TOKEN_LENGTH} random characters (e.g. openssl rand -base64 32)`);
  }
  const env = options.env ?? process.env;
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  };

  // Secrets generated for the bundled simulator exist only in memory.
  const useBundled = !options.simulator && !config.freepikApiKey && options.bundledSimulator !== false;
  const bundledKey = useBundled ? `sim_${randomBytes(24).toString('base64url')}` : undefined;
  // A configured FREEPIK_WEBHOOK_SECRET is what the bundled simulator signs with, as Freepik
  // signs with the dashboard's: otherwise every delivery would be refused.
  const bundledSecret = useBundled ? (config.freepikWebhookSecret ?? randomBytes(32).toString('base64url')) : undefined;
  const dbPassword = config.databaseUrl ? safePassword(config.databaseUrl) : undefined;
  const destination = secretScrubber(
    [config.freepikApiKey, config.freepikWebhookSecret, config.apiToken, bundledKey, bundledSecret, dbPassword, options.simulator?.config.webhookSecret, ...(options.simulator?.config.apiKeys ?? [])],
    options.logStream ?? process.stdout,
  );
  const logger = pinoLogger(config.logLevel, destination);

  try {
    const port = config.port === 0 ? await reservePort(config.host) : config.port;
    const localUrl = `http://${urlHost(config.host)}:${port}`;

    // Freepik: the real API, an injected simulator, or the bundled one.
    let simulator = options.simulator;
    if (useBundled) {
      simulator = await startSimulator({
        ...options.simulatorOptions,
        // It runs inside the product: of this machine's addresses it fetches only this server's
        // (the images handed over by URL), never other local services.
        privateImageOrigins: [localUrl, ...(config.publicUrl ? [config.publicUrl] : [])],
        // Its admin routes have no key: only IP literals and localhost reach it (DNS rebinding).
        allowedHosts: [],
        apiKeys: [bundledKey!],
        webhookSecret: bundledSecret!,
        host: '127.0.0.1',
        port: 0,
        logger: { level: 'warn', stream: destination },
      });
      const started = simulator;
      cleanups.push(() => started.close());
    }
    if (!simulator && !config.freepikApiKey) throw new Error('FREEPIK_API_KEY is not set and the bundled simulator is off');
    const mode: PikflowInfo['mode'] = simulator ? 'simulator' : 'freepik';
    const apiKey = bundledKey ?? config.freepikApiKey ?? simulator?.config.apiKeys[0] ?? 'simulator';
    const webhookSecret = config.freepikWebhookSecret ?? bundledSecret ?? simulator?.config.webhookSecret;

    // With the simulator on this machine, this server's own URL is reachable by "Freepik".
    const publicUrl = config.publicUrl ?? (simulator ? localUrl : undefined);

    const database = options.database ?? (await createDb({ dataDir: config.dataDir, databaseUrl: config.databaseUrl }));
    if (!options.database) cleanups.push(() => database.close());

    const tokens = new ApiTokens(database.db, config.apiToken);
    if (!isLoopbackAddress(config.host) && !(await tokens.anyConfigured())) {
      throw new Error(
        `Refusing to listen on ${config.host}: other machines could use the API without a token. ` +
          'Set PIKFLOW_API_TOKEN (a long random string) or keep HOST=127.0.0.1.',
      );
    }

    // Engine tuning (polling, timeouts, workers) from the environment; where Freepik is,
    // and how it reaches us, from what was decided above.
    const engineDefaults = engineConfigFromEnv(env);
    const engineConfig: EngineConfig = {
      ...engineDefaults,
      mode,
      freepik: { baseUrl: simulator ? simulator.url : config.freepikApiBase, apiKey },
      fileServiceUrl: config.fileServiceUrl ?? simulator?.url ?? engineDefaults.fileServiceUrl,
      publicUrl,
      webhookSecret: publicUrl ? webhookSecret : undefined,
      assetsDir: join(config.dataDir, 'assets'),
    };
    if (mode === 'freepik' && !config.fileServiceUrl) {
      logger.warn({ fileServiceUrl: engineConfig.fileServiceUrl }, 'FILE_SERVICE_URL is not set: the "Upload to file service" node uses the default service');
    }
    const engine =
      typeof options.engine === 'object'
        ? options.engine
        : await (options.engine ?? defaultEngine)({ config: engineConfig, db: database, logger });

    const app = Fastify({
      loggerInstance: logger,
      bodyLimit: SMALL_BODY_BYTES,
      // Slow clients: headers within headersTimeout, the whole request (uploads included)
      // within requestTimeout, idle keep-alive sockets closed after keepAliveTimeout. Node
      // checks these every connectionsCheckingInterval (30 s by default: too lax here).
      requestTimeout: config.limits.requestTimeoutMs,
      keepAliveTimeout: config.limits.keepAliveTimeoutMs,
      http: {
        headersTimeout: Math.min(config.limits.headersTimeoutMs, config.limits.requestTimeoutMs),
        connectionsCheckingInterval: Math.min(5_000, config.limits.headersTimeoutMs),
      },
      trustProxy: false,
      // The router's own errors (too-long or badly encoded path parameters) get the standard envelope.
      frameworkErrors: (error, request, reply) => handleError(error, request, reply),
      // SSE streams would otherwise hold close() open until every run ends.
      forceCloseConnections: true,
      return503OnClosing: true,
    }).withTypeProvider<ZodTypeProvider>();
    // Exposed, a flood of connections must not exhaust file descriptors; loopback is the editor.
    if (!isLoopbackAddress(config.host)) app.server.maxConnections = config.limits.maxConnections;
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.decorate('pikflow', { port, localUrl, mode, database: database.kind, simulator, engineConfig } satisfies PikflowInfo);

    const shared: Services = {
      config,
      engine,
      database,
      pipelines: new PipelineStore(database.db),
      tokens,
      mode,
      version: SERVER_VERSION,
    };

    await app.register(errorHandler);
    await app.register(services, { services: shared });
    await app.register(securityHeaders);
    await app.register(hostGuard, { allowedHosts: config.allowedHosts, publicUrl });
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Pikflow API',
          version: SERVER_VERSION,
          description:
            'Build, save and run Freepik pipelines. Calls from other machines need `Authorization: Bearer <token>` (PIKFLOW_API_TOKEN); ' +
            'without a token, changes must come from this server\'s own origin, and the Host must be one this server answers to (see docs/server.md, "Security model").',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      hideUntagged: true,
      transform: openApiTransform,
      transformObject: jsonSchemaTransformObject,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    await app.register(
      async (api) => {
        // Guards every route registered below by what the router matched (see plugins/auth.ts).
        await api.register(auth, {
          requireToken: config.requireToken,
          verify: (token: string) => tokens.verify(token),
          publicUrl,
        });
        await api.register(safeInput);
        // The API speaks JSON (and multipart for uploads); a text body is a mistake, not a string to validate.
        api.removeContentTypeParser('text/plain');
        await api.register(healthRoutes);
        await api.register(catalogRoutes);
        await api.register(pipelineRoutes);
        await api.register(templateRoutes);
        await api.register(runRoutes);
        await api.register(runEventRoutes);
        await api.register(assetRoutes);
        await api.register(webhookRoutes);
        await api.register(usageRoutes);
        await api.register(batchRoutes);
      },
      { prefix: '/api' },
    );
    await app.register(staticEditor, { webDistDir: config.webDistDir });

    app.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    // The engine starts in startServer once the socket is bound: recovered nodes hand Freepik
    // URLs of our own asset route, which must answer by then.
    engines.set(app as unknown as FastifyInstance, engine);
    app.addHook('onClose', async () => {
      await engine.stop().catch((err: unknown) => logger.error({ err }, 'engine stop failed'));
      await cleanup();
    });
    return app as unknown as FastifyInstance;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

const zodTransform = createJsonSchemaTransform({});

/** zod → OpenAPI, plus the multipart body of the upload route (read by @fastify/multipart, not a schema). */
function openApiTransform(input: Parameters<typeof zodTransform>[0]) {
  // Every operation documents the guards' answers: 400 (bad input), 401 (token), 403 (Host, origin).
  const isApi = input.url.startsWith('/api/');
  if (isApi) {
    const response = (input.schema.response ?? {}) as Record<string, unknown>;
    const guards = {
      400: apiErrorSchema.describe('Bad input: the message names the field'),
      401: apiErrorSchema.describe('No valid bearer token (needed from other machines, or always with PIKFLOW_REQUIRE_TOKEN)'),
      403: apiErrorSchema.describe('Host not allowed (DNS rebinding guard), or a cross-site change without a token'),
    };
    input = { ...input, schema: { ...input.schema, response: { ...guards, ...response } } };
  }
  const out = zodTransform(input);
  const isPublic = Boolean((input.route.config as { public?: boolean } | undefined)?.public);
  let schema = out.schema as Record<string, unknown>;
  // Routes reachable without a bearer token say so in the document.
  if (isPublic) schema = { ...schema, security: [] };
  if (input.url === '/api/assets' && input.route.method === 'POST') {
    schema = {
      ...schema,
      body: {
        type: 'object',
        required: ['file'],
        properties: { file: { type: 'string', format: 'binary', description: 'The image' } },
      },
    };
  }
  return { ...out, schema } as typeof out;
}

function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

export interface StartServerResult {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/** The engine of each app buildApp made, started by startServer after listen. */
const engines = new WeakMap<FastifyInstance, Engine>();

/** buildApp + listen on the reserved port, then the engine. Tests use this with PORT=0 on 127.0.0.1. */
export async function startServer(options: BuildAppOptions): Promise<StartServerResult> {
  const app = await buildApp(options);
  try {
    await app.listen({ port: app.pikflow.port, host: options.config.host });
    await engines.get(app)?.start();
  } catch (err) {
    await app.close();
    throw err;
  }
  return { app, url: app.pikflow.localUrl, close: () => app.close() };
}
