import { PikflowError } from '@pikflow/catalog';
import { hostNameOf, makeHostCheck } from '@pikflow/pipeline';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface HostGuardOptions {
  /** ALLOWED_HOSTS: exact names, `.suffix` for a domain and its subdomains, or `*`. */
  allowedHosts: string[];
  /** PUBLIC_URL, whose host is always allowed. */
  publicUrl?: string;
}

/** Refuses, before anything else runs, every request whose Host is not this server's (DNS rebinding). */
export default fp(
  async function hostGuard(app: FastifyInstance, opts: HostGuardOptions) {
    // The rule itself lives with the URL rules (@pikflow/pipeline), shared with the simulator.
    const allowed = makeHostCheck([...opts.allowedHosts, ...(opts.publicUrl ? [new URL(opts.publicUrl).hostname] : [])]);
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
