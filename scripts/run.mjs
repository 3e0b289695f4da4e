#!/usr/bin/env node
// The two Quick-start commands (`npm start`, `npm test`) land here so that a fresh
// clone with only Node 20 + npm works: we fetch the pinned pnpm through npx, install
// the workspace when needed, then hand over to the real command.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM = ['--yes', 'pnpm@10.34.8'];

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const pnpm = (...args) => run('npx', [...PNPM, ...args]);

function ensureInstalled() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  const lock = join(root, 'pnpm-lock.yaml');
  const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
  if (stale) pnpm('install', ...(process.env.CI ? ['--frozen-lockfile'] : []));
}

/** vitest, then the plain closing line CI reads ("N passed, N failed, N skipped"). */
function runTests(args) {
  const report = join(root, 'tests', '.artifacts', 'vitest-report.json');
  rmSync(report, { force: true });
  const r = spawnSync('npx', [...PNPM, 'exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  if (existsSync(report)) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, testResults = [] } = JSON.parse(readFileSync(report, 'utf8'));
    // A file whose set-up failed reports its tests as skipped: they did not pass, so they count
    // as failed here; a failed file with no failed or unrun test (an import or hook error) counts as one.
    let notRun = 0;
    for (const file of testResults) {
      if (file.status !== 'failed') continue;
      const tests = file.assertionResults ?? [];
      const unrun = tests.filter((t) => t.status !== 'passed' && t.status !== 'failed').length;
      const failedHere = tests.filter((t) => t.status === 'failed').length;
      notRun += unrun || (failedHere ? 0 : 1);
    }
    const failed = numFailedTests + notRun;
    const skipped = Math.max(0, numPendingTests + numTodoTests - notRun);
    console.log(`\ntests: ${numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const [command, ...rest] = process.argv.slice(2);
ensureInstalled();
switch (command) {
  case 'start':
    pnpm('--filter', '@pikflow/web', 'build');
    // One JavaScript file, not tsx: a restart is ready ~0.5 s sooner (scripts/bundle.mjs).
    run('node', ['scripts/bundle.mjs', 'server']);
    run('node', ['--enable-source-maps', 'server/dist/main.mjs', ...rest]);
    break;
  case 'test':
    pnpm('exec', 'tsc', '-p', 'tsconfig.json');
    pnpm('exec', 'tsc', '-p', 'web/tsconfig.json');
    runTests(rest);
    break;
  case 'bench':
    // --expose-gc: the batch rows read the live heap after a full GC, next to peak RSS.
    run('npx', ['tsx', '--expose-gc', 'scripts/bench.ts', ...rest]);
    break;
  case 'chaos':
    // The full chaos test (30 runs, 20 kill -9 per mode); `npm test` runs its small version.
    run('npx', [...PNPM, 'exec', 'vitest', 'run', 'tests/engine-chaos.test.ts', ...rest], { CHAOS: 'full' });
    break;
  case 'sim':
    run('npx', ['tsx', 'packages/freepik-sim/src/main.ts', ...rest]);
    break;
  case 'worker':
    run('node', ['scripts/bundle.mjs', 'worker']);
    run('node', ['--enable-source-maps', 'packages/engine/dist/worker.mjs', ...rest]);
    break;
  default:
    console.error(`unknown command ${command}; use start | test | bench | chaos | sim | worker`);
    process.exit(2);
}
