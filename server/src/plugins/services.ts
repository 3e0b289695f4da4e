import type { DbHandle } from '@pikflow/db';
import type { Engine } from '@pikflow/engine';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServerConfig } from '../config.ts';
import type { ApiTokens } from '../services/api-tokens.ts';
import type { PipelineStore } from '../services/pipeline-store.ts';

/** What routes share: created once in app.ts, reached as `app.services`. */
export interface Services {
  config: ServerConfig;
  engine: Engine;
  database: DbHandle;
  pipelines: PipelineStore;
  tokens: ApiTokens;
  /** 'simulator' when Freepik calls go to the bundled simulator. */
  mode: 'simulator' | 'freepik';
  version: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export default fp(
  async function services(app: FastifyInstance, opts: { services: Services }) {
    app.decorate('services', opts.services);
  },
  { name: 'pikflow-services' },
);
