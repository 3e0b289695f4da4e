#!/usr/bin/env node
// Node processes start from one JavaScript file each, built here with esbuild, instead of tsx
// transforming ~150 TypeScript modules at every start: a restart (after a crash, a deploy, a
// supervisor's kill) is ready ~0.5 s sooner, which is most of a PGlite process's start-up.
// Workspace sources are bundled; every npm dependency stays an import of its own installed
// file (native modules, WASM and worker files keep working). `import.meta.url` in our sources
// is the source file's URL, so files found relative to the source (migrations, fixtures,
// package.json) are found as before.
//
//   node scripts/bundle.mjs server   → server/dist/main.mjs        (npm start)
//   node scripts/bundle.mjs worker   → packages/engine/dist/worker.mjs   (npm run worker)
//   node scripts/bundle.mjs <entry.ts> <out.mjs>
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const TARGETS = {
  server: { entry: 'server/src/main.ts', outfile: 'server/dist/main.mjs' },
  worker: { entry: 'packages/engine/src/bin/worker.ts', outfile: 'packages/engine/dist/worker.mjs' },
};

/** Bundles `entry` (a path from the repository root, or absolute) into `outfile`, with a linked source map. */
export async function bundle(entry, outfile) {
  await build({
    entryPoints: [isAbsolute(entry) ? entry : join(root, entry)],
    outfile: isAbsolute(outfile) ? outfile : join(root, outfile),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [
      {
        name: 'pikflow-node-bundle',
        setup(b) {
          // npm packages: imported from their installed file, resolved as Node would from the importer.
          b.onResolve({ filter: /^[^./]/ }, async (args) => {
            if (args.pluginData?.resolving || args.path.startsWith('@pikflow/')) return null;
            if (args.path.startsWith('node:')) return { external: true };
            const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { resolving: true } });
            if (resolved.errors.length) return { external: true }; // a Node built-in without the prefix
            return { path: resolved.path, external: true };
          });
          b.onLoad({ filter: /\.ts$/ }, async (args) => {
            const source = await readFile(args.path, 'utf8');
            return { contents: source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
          });
        },
      },
    ],
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [name, out] = process.argv.slice(2);
  const target = TARGETS[name] ?? (name && out ? { entry: name, outfile: out } : undefined);
  if (!target) {
    console.error(`usage: node scripts/bundle.mjs ${Object.keys(TARGETS).join(' | ')} | <entry.ts> <out.mjs>`);
    process.exit(2);
  }
  await bundle(target.entry, target.outfile);
}
