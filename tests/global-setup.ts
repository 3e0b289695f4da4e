/**
 * Once per `vitest run`: the engine child of the crash and multi-worker tests is bundled into one
 * JavaScript file, as `npm start` and `npm run worker` bundle theirs (scripts/bundle.mjs), so a
 * killed child restarts as fast as a real process does. One file per run: runs side by side do not
 * overwrite each other's.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    engineChildBundle: string;
  }
}

const root = join(import.meta.dirname, '..');

export default function setup(project: TestProject) {
  const outfile = join(root, 'tests', '.artifacts', 'bundles', `engine-child.${process.pid}.mjs`);
  const built = spawnSync(process.execPath, ['scripts/bundle.mjs', 'tests/support/engine-child.ts', outfile], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('could not bundle tests/support/engine-child.ts');
  project.provide('engineChildBundle', outfile);
  return () => {
    rmSync(outfile, { force: true });
    rmSync(`${outfile}.map`, { force: true });
  };
}
