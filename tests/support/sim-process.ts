/**
 * The simulator in its own process (`packages/freepik-sim/src/main.ts`, what `npm run sim` runs),
 * so it survives the engine processes a test kills and its CPU is measured apart. Controlled over
 * its /__sim routes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SimProcess {
  url: string;
  child: ChildProcess;
  configure(patch: Record<string, unknown>): Promise<void>;
  reset(): Promise<void>;
  stats(): Promise<{ submissions: Record<string, number>; polls: Record<string, number>; lists?: Record<string, number> }>;
  close(): Promise<void>;
}

export async function startSimProcess(options: { nodeArgs?: string[]; env?: Record<string, string> } = {}): Promise<SimProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', join(root, 'packages/freepik-sim/src/main.ts')], {
    cwd: root,
    env: { ...process.env, SIM_PORT: '0', LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', () => reject(new Error(`simulator exited: ${out}`)));
  });
  child.stdout!.resume();
  const post = async (path: string, body?: unknown) => {
    const response = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  };
  await post('/__sim/config', { rateLimits: false, seed: 1 });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    child,
    configure: (patch) => post('/__sim/config', patch),
    reset: () => post('/__sim/reset'),
    stats: async () => (await fetch(`${url}/__sim/stats`)).json() as Promise<{ submissions: Record<string, number>; polls: Record<string, number> }>,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
