import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The editor's Content-Security-Policy: its own scripts only (Vite emits no inline
 * script), inline styles (React Flow positions nodes with style attributes), images
 * from this server and data:/blob: URIs (thumbnails, the favicon), and no framing by
 * other sites (clickjacking). Swagger UI at /docs lives within the same policy.
 */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'media-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
};

/** Security headers on every response (errors and 404s included), through @fastify/helmet. */
export default fp(
  async function securityHeaders(app: FastifyInstance) {
    await app.register(helmet, {
      global: true,
      contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
      frameguard: { action: 'sameorigin' },
      // Plain http on a LAN address is a supported setup: forcing https would break it,
      // and HSTS belongs to whoever terminates TLS in front of this server.
      strictTransportSecurity: false,
      // Freepik (a server) fetches /api/assets/… for URL hand-off; browsers elsewhere need not.
      crossOriginResourcePolicy: { policy: 'same-origin' },
    });
  },
  { name: 'pikflow-security-headers' },
);
