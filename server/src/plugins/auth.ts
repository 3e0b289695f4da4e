import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { PikflowError } from '@pikflow/catalog';
import { isLoopbackAddress } from '../config.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a bearer token (health, webhooks with their own signature, asset files). */
    public?: boolean;
  }
}

export interface AuthOptions {
  /** Ask for a token even from loopback. */
  requireToken: boolean;
  verify(token: string): Promise<boolean>;
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * API access: the editor on localhost needs no set-up; other machines (or everyone,
 * when `requireToken`) present `Authorization: Bearer <token>`. Only /api is guarded;
 * routes marked `config.public` are exempt.
 */
export default fp(
  async function auth(app: FastifyInstance, opts: AuthOptions) {
    app.addHook('onRequest', async (request) => {
      const path = request.url.split('?')[0] ?? '';
      if (!(path === '/api' || path.startsWith('/api/'))) return;
      if (request.routeOptions.config?.public) return;
      if (!opts.requireToken && isLoopbackAddress(request.socket.remoteAddress)) return;
      const token = bearerOf(request);
      if (!token) {
        throw new PikflowError(
          'unauthorized',
          'This API needs a bearer token from this client: send "Authorization: Bearer <token>" (the token set in PIKFLOW_API_TOKEN on the server, or one stored in the database)',
          { field: 'authorization' },
        );
      }
      if (!(await opts.verify(token))) {
        throw new PikflowError('unauthorized', 'The bearer token is not valid', { field: 'authorization' });
      }
    });
  },
  { name: 'pikflow-auth' },
);
