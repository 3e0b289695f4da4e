import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { errorBody } from './error-handler.ts';

const MISSING_EDITOR_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pikflow</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Pikflow</h1>
<p>The API is running, but the editor has not been built yet.</p>
<p>Run <code>npm start</code> (it builds the editor, then starts the server), or build it alone with
<code>npx pnpm --filter @pikflow/web build</code>.</p>
<p>API documentation: <a href="/docs">/docs</a> · health: <a href="/api/health">/api/health</a></p>
</body></html>`;

/**
 * Serves the built editor from web/dist and answers every other GET outside /api with
 * its index.html (client-side routing). Unknown /api routes get a JSON 404 in the same
 * shape as every other error.
 */
export default fp(
  async function staticEditor(app: FastifyInstance, opts: { webDistDir: string }) {
    const indexPath = join(opts.webDistDir, 'index.html');
    const hasEditor = existsSync(indexPath);
    const hashedAssets = join(opts.webDistDir, 'assets') + sep;
    if (hasEditor) {
      await app.register(fastifyStatic, {
        root: opts.webDistDir,
        wildcard: false,
        index: ['index.html'],
        // The build writes .br and .gz next to each asset (web/vite.config.ts): sent as they are.
        preCompressed: true,
        setHeaders(res, path) {
          // Vite puts content hashes in asset names; index.html must always be revalidated.
          if (path.startsWith(hashedAssets)) res.header('cache-control', 'public, max-age=31536000, immutable');
          else res.header('cache-control', 'no-cache');
        },
      });
    }
    let indexHtml: string | undefined;

    app.setNotFoundHandler(async (request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      const isApi = path === '/api' || path.startsWith('/api/') || path.startsWith('/docs/');
      if (!isApi && (request.method === 'GET' || request.method === 'HEAD')) {
        if (!hasEditor) return reply.code(200).type('text/html; charset=utf-8').send(MISSING_EDITOR_PAGE);
        indexHtml ??= await readFile(indexPath, 'utf8');
        return reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
      }
      return reply
        .code(404)
        .type('application/json; charset=utf-8')
        .send(errorBody('not_found', `No route ${request.method} ${path}. The API is described at /docs.`));
    });
  },
  { name: 'pikflow-static-editor' },
);
