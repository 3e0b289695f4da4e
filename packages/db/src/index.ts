/**
 * @pikflow/db — one drizzle schema over two databases.
 *
 *   const handle = await createDb({ dataDir: './data' });                  // embedded PGlite in ./data/pglite
 *   const handle = await createDb({ dataDir, databaseUrl: 'postgres://…' }); // real PostgreSQL (pg Pool)
 *   handle.db        drizzle database, same schema (`schema.*`) and query API on both
 *   handle.kind      'pglite' | 'postgres'
 *   handle.pglite    the PGlite instance (pglite only; pg-boss uses it through fromPglite)
 *   handle.pool      the pg Pool (postgres only)
 *   handle.databaseUrl  the connection string (postgres only; pg-boss and LISTEN clients open their own)
 *   handle.close()   closes the pool / PGlite and releases the data-folder lock
 *
 * Migrations in packages/db/migrations (drizzle-kit) run at start-up on both; on
 * Postgres they run under an advisory lock so several worker processes may start at once.
 * PGlite is a single-process database: the data folder is guarded by a lockfile holding
 * the owner's pid. A lock left by a dead process is taken over; a live owner makes
 * createDb throw PikflowError('database_locked') naming the folder and the pid. A new PGlite
 * folder is a copy of a template that initdb made once, in a child process (see initPglite).
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { PikflowError } from '@pikflow/catalog';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.ts';

export * from './schema.ts';
export { schema };

/** The drizzle database type shared by both drivers (query builder + `execute`). */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface CreateDbOptions {
  /** postgres://… — when set, real PostgreSQL is used instead of PGlite. */
  databaseUrl?: string;
  /** Folder for local state; PGlite lives in `<dataDir>/pglite`. */
  dataDir: string;
  /** Largest pool size on Postgres (default 10). */
  poolSize?: number;
  /** Extra postgresql.conf lines for PGlite (memory bounds etc.). */
  pgliteConfig?: string[];
}

export interface DbHandle {
  db: Db;
  kind: 'pglite' | 'postgres';
  pglite?: PGlite;
  pool?: pg.Pool;
  databaseUrl?: string;
  /** Folder PGlite stores its files in (pglite only). */
  pgliteDir?: string;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));

/** Arbitrary constant shared by every Pikflow process: serialises start-up migrations on Postgres. */
const MIGRATION_LOCK_KEY = 7_316_002_451;

// PGlite's defaults size shared memory for a server (128 MB of buffers); an embedded
// single-session database needs far less, and every MB here is resident memory.
const PGLITE_DEFAULT_CONFIG = ['shared_buffers = 16MB', 'work_mem = 4MB', 'maintenance_work_mem = 16MB', 'temp_buffers = 8MB'];

export async function createDb(options: CreateDbOptions): Promise<DbHandle> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize ?? 10) : openPglite(options);
}

async function openPostgres(databaseUrl: string, poolSize: number): Promise<DbHandle> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  // An idle client that loses its connection emits 'error' on the pool; without a handler it would crash the process.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  const client = await pool.connect().catch((cause: unknown) => {
    void pool.end();
    throw new PikflowError('unavailable', `cannot connect to PostgreSQL (${redactUrl(databaseUrl)}): ${(cause as Error).message}`, { cause });
  });
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migratePg(drizzlePg(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } catch (e) {
    client.release();
    await pool.end();
    throw e;
  }
  client.release();
  let closed = false;
  return {
    db,
    kind: 'postgres',
    pool,
    databaseUrl,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

async function openPglite(options: CreateDbOptions): Promise<DbHandle> {
  const pgliteDir = join(options.dataDir, 'pglite');
  mkdirSync(pgliteDir, { recursive: true });
  const lockPath = join(options.dataDir, 'pglite.lock');
  takeLock(lockPath, pgliteDir);
  let pglite: PGlite | undefined;
  try {
    // Loaded only when used: a PostgreSQL deployment does not carry the WASM database in memory.
    const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('drizzle-orm/pglite'),
      import('drizzle-orm/pglite/migrator'),
    ]);
    const pgliteOptions = { dataDir: pgliteDir, postgresqlconf: [...PGLITE_DEFAULT_CONFIG, ...(options.pgliteConfig ?? [])] };
    if (!existsSync(join(pgliteDir, 'PG_VERSION'))) await initPglite(pgliteOptions);
    pglite = new PGlite(pgliteOptions);
    await pglite.waitReady;
    const db = drizzlePglite(pglite, { schema });
    await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
    let closed = false;
    const instance = pglite;
    return {
      db: db as unknown as Db,
      kind: 'pglite',
      pglite: instance,
      pgliteDir,
      async close() {
        if (closed) return;
        closed = true;
        try {
          await instance.close();
        } finally {
          releaseLock(lockPath);
        }
      },
    };
  } catch (e) {
    await pglite?.close().catch(() => {});
    releaseLock(lockPath);
    throw e;
  }
}

/**
 * A new PGlite folder. initdb takes ~600 MB of WASM memory that a process keeps until some later
 * garbage collection, and a few seconds: it runs once per PGlite build and configuration, in a
 * short-lived child process, into a template folder in the OS temp folder; new folders are
 * copies of it (a stopped PostgreSQL data folder can be copied).
 */
async function initPglite(options: { dataDir: string; postgresqlconf: string[] }): Promise<void> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const key = createHash('sha256').update(entry).update(String(statSync(entry).mtimeMs)).update(JSON.stringify(options.postgresqlconf)).digest('hex').slice(0, 16);
  const template = join(tmpdir(), `pikflow-pglite-template-${key}`);
  if (existsSync(join(template, 'PG_VERSION'))) {
    cpSync(template, options.dataDir, { recursive: true });
    return;
  }
  const building = `${template}.${process.pid}.${randomUUID()}`;
  try {
    await initPgliteInChild({ ...options, dataDir: building }, entry);
    cpSync(building, options.dataDir, { recursive: true });
    try {
      renameSync(building, template);
    } catch {
      // Another process published its template first (or the temp folder is read-only): fine.
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/** Runs PGlite's initdb for `dataDir` in a child process (plain JS, PGlite imported from `entry`). */
async function initPgliteInChild(options: { dataDir: string; postgresqlconf: string[] }, entryPath: string): Promise<void> {
  const entry = pathToFileURL(entryPath).href;
  const script = `const { PGlite } = await import(${JSON.stringify(entry)});
const db = new PGlite(JSON.parse(process.env.PIKFLOW_PGLITE_OPTIONS));
await db.waitReady;
await db.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, PIKFLOW_PGLITE_OPTIONS: JSON.stringify(options), NODE_OPTIONS: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0 || !existsSync(join(options.dataDir, 'PG_VERSION'))) {
    throw new PikflowError('unavailable', `initialising the embedded database in ${options.dataDir} failed (exit ${code}): ${stderr.trim()}`);
  }
}

/** Creates the lockfile atomically; takes over a lock whose owner process is gone. */
function takeLock(lockPath: string, folder: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number.parseInt(safeRead(lockPath), 10);
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new PikflowError(
        'database_locked',
        `the embedded database in ${folder} is in use by process ${owner}${owner === process.pid ? ' (this process)' : ''}; ` +
          'stop that process, or set DATABASE_URL to share a PostgreSQL database between processes',
      );
    }
    // Stale (dead owner or unreadable): remove and try again.
    try {
      unlinkSync(lockPath);
    } catch {
      /* another process may have removed it first */
    }
  }
  throw new PikflowError('database_locked', `could not take the lock ${lockPath} for ${folder}`);
}

function releaseLock(lockPath: string): void {
  try {
    if (Number.parseInt(safeRead(lockPath), 10) === process.pid) unlinkSync(lockPath);
  } catch {
    /* already gone */
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured DATABASE_URL';
  }
}
