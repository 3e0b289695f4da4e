/**
 * Fresh databases for tests, so a suite can run `describe.each(DB_KINDS)` over both.
 *
 *   const t = await freshDatabase('postgres');   // CREATE DATABASE pikflow_t_<random>
 *   const handle = await createDb(t.options);     // or pass t.options to your own code
 *   …
 *   await handle.close(); await t.drop();          // DROP DATABASE, remove the temp folder
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { CreateDbOptions } from '@pikflow/db';

export type DbKind = 'pglite' | 'postgres';
export const DB_KINDS: DbKind[] = ['pglite', 'postgres'];

/** The server's maintenance database; tests create their own databases next to it. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface FreshDatabase {
  kind: DbKind;
  /** A temporary folder usable as dataDir (and for assets). */
  dataDir: string;
  /** Connection string of the new database (postgres only). */
  databaseUrl?: string;
  options: CreateDbOptions;
  /** Drops the database and removes the temporary folder. */
  drop(): Promise<void>;
}

export function tempDir(prefix = 'pikflow-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function freshDatabase(kind: DbKind): Promise<FreshDatabase> {
  const dataDir = tempDir();
  if (kind === 'pglite') {
    return {
      kind,
      dataDir,
      options: { dataDir },
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `pikflow_t_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  return {
    kind,
    dataDir,
    databaseUrl,
    options: { dataDir, databaseUrl },
    async drop() {
      // WITH (FORCE) ends leftover connections (e.g. a killed child process); Postgres 13+.
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A connection to the maintenance database (for CREATE/DROP/ALTER DATABASE). */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
