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
  /** PUBLIC_URL: its origin counts as this server's own (besides the request's Host). */
  publicUrl?: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * Why a state-changing request without a token must be refused as cross-site (CSRF), or
 * undefined when it comes from this server's own pages or from no browser at all.
 * Browsers send Sec-Fetch-Site and Origin on such requests; curl and servers send neither.
 */
export function crossSiteReason(request: FastifyRequest, publicOrigin?: string): string | undefined {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is "${site.slice(0, 40)}"`;
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = origin === 'null' ? undefined : new URL(origin);
  } catch {
    parsed = undefined;
  }
  const own = parsed !== undefined && (parsed.host === (request.headers.host ?? '').toLowerCase() || parsed.origin === publicOrigin);
  return own ? undefined : `Origin ${JSON.stringify(origin.slice(0, 100))} is not this server`;
}

/**
 * API access, registered inside the /api plugin so it guards what the router matched,
 * never a spelling of the URL: every route of that encapsulation context (and of the
 * plugins below it) passes this hook unless its `config.public` says otherwise.
 *
 * - A bearer token, when sent, must be valid; it authorises everything.
 * - Without one: loopback clients may use the API (the editor on this machine) unless
 *   `requireToken`; other clients may reach only public routes.
 * - Without one, a state-changing request must come from this server's own origin (CSRF).
 */
export default fp(
  async function auth(app: FastifyInstance, opts: AuthOptions) {
    const publicOrigin = opts.publicUrl ? new URL(opts.publicUrl).origin : undefined;
    // Default-deny, checked as routes are added: a route states `public: true` or is guarded.
    app.addHook('onRoute', (route) => {
      const isPublic = (route.config as { public?: unknown } | undefined)?.public;
      if (isPublic !== undefined && typeof isPublic !== 'boolean') throw new Error(`${route.method} ${route.url}: config.public must be a boolean`);
    });
    app.addHook('onRequest', async (request) => {
      const isPublic = request.routeOptions.config?.public === true;
      const token = bearerOf(request);
      if (token !== undefined) {
        if (!(await opts.verify(token))) throw new PikflowError('unauthorized', 'The bearer token is not valid', { field: 'authorization' });
        return;
      }
      // Any other Authorization scheme (Basic from a reverse proxy in front) counts as no token.
      if (!isPublic && (opts.requireToken || !isLoopbackAddress(request.socket.remoteAddress))) {
        throw new PikflowError(
          'unauthorized',
          'This API needs a bearer token from this client: send "Authorization: Bearer <token>" (the token set in PIKFLOW_API_TOKEN on the server, or one stored in the database)',
          { field: 'authorization' },
        );
      }
      if (SAFE_METHODS.has(request.method)) return;
      const reason = crossSiteReason(request, publicOrigin);
      if (reason) {
        request.log.warn({ origin: request.headers.origin, secFetchSite: request.headers['sec-fetch-site'] }, 'cross-site request refused');
        throw new PikflowError(
          'forbidden',
          `Cross-site request refused: ${reason}. Changes must come from this server's own pages, or carry "Authorization: Bearer <token>".`,
          { field: 'origin' },
        );
      }
    });
  },
  { name: 'pikflow-auth' },
);
