import { isIP } from 'node:net';
import { PikflowError } from '@pikflow/catalog';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface HostGuardOptions {
  /** ALLOWED_HOSTS: exact names, `.suffix` for a domain and its subdomains, or `*`. */
  allowedHosts: string[];
  /** PUBLIC_URL, whose host is always allowed. */
  publicUrl?: string;
}

/** `Host: Example.COM:3000` → `example.com`; `[::1]:3000` → `::1`; undefined when unreadable. */
export function hostNameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::\d+)?$/.exec(h);
  if (v6) return v6[1];
  const m = /^([^:\s/@]+)(?::\d+)?$/.exec(h);
  return m?.[1]?.replace(/\.$/, '');
}

/**
 * Whether a request's Host names this server. A DNS-rebinding page reaches 127.0.0.1
 * under its own domain name, so only names that cannot be rebound pass by default:
 * IP literals, `localhost` and `*.localhost` (RFC 6761: always loopback), the host of
 * PUBLIC_URL and whatever ALLOWED_HOSTS lists — the rule of Vite's and webpack's dev servers.
 */
export function makeHostCheck(opts: HostGuardOptions): (name: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const entry of opts.allowedHosts) {
    if (entry === '*') any = true;
    else if (entry.startsWith('.')) {
      suffixes.push(entry);
      exact.add(entry.slice(1));
    } else exact.add(entry);
  }
  if (opts.publicUrl) exact.add(new URL(opts.publicUrl).hostname.toLowerCase().replace(/^\[|\]$/g, ''));
  return (name) =>
    any ||
    isIP(name) !== 0 ||
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    exact.has(name) ||
    suffixes.some((s) => name.endsWith(s));
}

/** Refuses, before anything else runs, every request whose Host is not this server's (DNS rebinding). */
export default fp(
  async function hostGuard(app: FastifyInstance, opts: HostGuardOptions) {
    const allowed = makeHostCheck(opts);
    app.addHook('onRequest', async (request) => {
      const header = request.headers.host;
      const name = hostNameOf(header);
      if (name !== undefined && allowed(name)) return;
      request.log.warn({ host: header?.slice(0, 200) }, 'request refused: Host not allowed');
      throw new PikflowError(
        'forbidden',
        name === undefined
          ? 'The request has no valid Host header'
          : `This server does not answer to the host name "${name.slice(0, 100)}" (a guard against DNS rebinding). ` +
            'Use http://127.0.0.1 or http://localhost, or add the name to ALLOWED_HOSTS on the server.',
        { field: 'host' },
      );
    });
  },
  { name: 'pikflow-host-guard' },
);
