/**
 * The executor's transactions. On PostgreSQL, where every round trip costs a socket write and
 * a wake-up on both sides, BEGIN travels with the first statement and COMMIT with the last
 * (simple-protocol batches, the executor's own statements with their parameters inlined as
 * escaped literals), and so do pg-boss's job inserts (deferred: nothing reads their result);
 * pg-boss's other statements and drizzle's go through as they are. On PGlite
 * (in-process, no round trips) it is a plain drizzle transaction.
 */
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { schema as dbSchema, type Db, type DbHandle } from '@pikflow/db';
import type { RawClient } from './jobs.ts';

/** Statements the executor writes (not pg-boss's or drizzle's): their parameters may be inlined to share a round trip. */
const OWN_STATEMENT = /^(WITH (upd|nodes|stored|run|ins|r) AS|SELECT r\.status AS run_status|SELECT status FROM runs)/;
function isOwnStatement(text: string): boolean {
  return OWN_STATEMENT.test(text);
}

/** `$n` parameters as escaped SQL literals (strings, numbers, booleans, null; objects as JSON). */
export function inlineParams(client: { escapeLiteral(s: string): string }, text: string, values: unknown[]): string {
  if (!values.length) return text;
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const v = values[Number(n) - 1];
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error(`cannot inline ${v}`);
      // Parenthesised so a negative value after a minus sign can never read as `--` (a comment).
      return v < 0 ? `(${v})` : String(v);
    }
    if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
    if (v instanceof Date) return client.escapeLiteral(v.toISOString());
    return client.escapeLiteral(typeof v === 'string' ? v : JSON.stringify(v));
  });
}

/**
 * A transaction whose last statement (if any) the body returns, so it can travel with COMMIT
 * together with whatever the body deferred (`raw.defer`, PostgreSQL only).
 */
export async function batchedTransaction<T>(
  handle: DbHandle,
  db: Db,
  body: (raw: RawClient, db: () => Db) => Promise<{ value: T; last?: { text: string; values: unknown[] } }>,
): Promise<{ value: T; lastRows: unknown[] }> {
  if (handle.kind !== 'postgres') {
    return db.transaction(async (dtx) => {
      const raw = (dtx as unknown as { session: { client: RawClient } }).session.client;
      const { value, last } = await body(raw, () => dtx as unknown as Db);
      return { value, lastRows: last ? (await raw.query(last.text, last.values)).rows : [] };
    });
  }
  const client = await handle.pool!.connect();
  let began = false;
  // Writes whose results nobody reads (pg-boss job inserts): they travel with the last statement and COMMIT.
  const deferred: string[] = [];
  const defer = (text: string, values: unknown[]) => {
    deferred.push(inlineParams(client, text, values));
  };
  const begin = async () => {
    if (began) return;
    began = true;
    await client.query('BEGIN');
  };
  const batch = async (text: string): Promise<{ rows: unknown[] }[]> => {
    const results = (await client.query(text)) as unknown as { rows: unknown[] } | { rows: unknown[] }[];
    return Array.isArray(results) ? results : [results];
  };
  // The first statement of the body carries BEGIN when it is one of ours ($n parameters only).
  const raw: RawClient = {
    query: async (text, values) => {
      if (began) return client.query(text, values as unknown[]);
      began = true;
      return (await batch(`BEGIN; ${inlineParams(client, text, values ?? [])}`))[1]!;
    },
  };
  // pg-boss's statements and drizzle's go through as they are, after a plain BEGIN.
  const plain: RawClient = {
    query: async (text, values) => {
      await begin();
      return client.query(text, values as unknown[]);
    },
  };
  let drizzleTx: Db | undefined;
  const getDb = () =>
    (drizzleTx ??= drizzlePg(
      {
        query: async (...args: unknown[]) => {
          await begin();
          return (client.query as (...a: unknown[]) => unknown)(...args);
        },
      } as never,
      { schema: dbSchema },
    ) as unknown as Db);
  try {
    const { value, last } = await body(
      { query: (text, values) => (isOwnStatement(text) ? raw.query(text, values) : plain.query(text, values)), defer },
      getDb,
    );
    let lastRows: unknown[] = [];
    const tail = [...(last ? [inlineParams(client, last.text, last.values)] : []), ...deferred, 'COMMIT'].join('; ');
    if (last || deferred.length) {
      const head = began ? '' : 'BEGIN; ';
      began = true; // from here a failure leaves a transaction to roll back
      const results = await batch(head + tail);
      if (last) lastRows = results[head ? 1 : 0]!.rows;
    } else if (began) await client.query('COMMIT');
    client.release();
    return { value, lastRows };
  } catch (error) {
    let broken = false;
    if (began) await client.query('ROLLBACK').catch(() => (broken = true));
    client.release(broken || undefined);
    throw error;
  }
}
