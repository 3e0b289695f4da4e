/** Spawns tests/support/engine-child.ts as a real separate process and reads its JSON lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { inject } from 'vitest';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export interface EngineChild {
  process: ChildProcess;
  lines: Record<string, unknown>[];
  /** Resolves with the first line matching `pick`. */
  waitFor<T>(pick: (line: Record<string, unknown>) => T | undefined, timeoutMs?: number): Promise<T>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The environment of an engine child on a test database, its own simulator key and a seed input. */
export function engineChildEnv(o: { dataDir: string; databaseUrl?: string; simUrl: string; apiKey: string; inputDataUri: string; pollMs: [number, number] }): Record<string, string> {
  return {
    DATA_DIR: o.dataDir,
    DATABASE_URL: o.databaseUrl ?? '',
    SIM_URL: o.simUrl,
    SIM_API_KEY: o.apiKey,
    INPUT_DATA_URI: o.inputDataUri,
    POLL_INITIAL_DELAY_MS: String(o.pollMs[0]),
    POLL_MAX_DELAY_MS: String(o.pollMs[1]),
  };
}

export function spawnEngineChild(env: Record<string, string | undefined>): EngineChild {
  // Bundled once per test run (tests/global-setup.ts), as the real processes are: a restart takes what a real one takes.
  const child = spawn(process.execPath, ['--enable-source-maps', inject('engineChildBundle')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        /* not ours */
      }
      for (const w of waiters) w();
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    process: child,
    lines,
    waitFor(pick, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of lines) {
            const value = pick(line);
            if (value !== undefined) {
              cleanup();
              resolve(value);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`child did not report in time; stderr: ${stderr}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`child exited; stderr: ${stderr}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.on('exit', onExit);
        check();
      });
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000, stepMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
