/**
 * LISTEN for run events across processes (issue 10, item 5): after a database outage longer than
 * a second (the listener's connection killed, new connections refused for a while), the listener
 * comes back by itself and live events from other processes flow again, with exactly one LISTEN
 * connection left (none leaked by the failed attempts). PostgreSQL only: PGlite has no LISTEN.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, runs, type DbHandle } from '@pikflow/db';
import type { RunEvent } from '@pikflow/pipeline';
import { EVENTS_CHANNEL, EventBus } from '../packages/engine/src/events.ts';
import { quietLogger } from './support/engine-harness.ts';
import { freshDatabase, withAdmin, type FreshDatabase } from './support/test-db.ts';

describe('event listener on postgres', () => {
  let fresh: FreshDatabase;
  let handle: DbHandle;
  let bus: EventBus;
  let name: string;
  beforeAll(async () => {
    fresh = await freshDatabase('postgres');
    name = new URL(fresh.databaseUrl!).pathname.slice(1);
    handle = await createDb(fresh.options);
    bus = new EventBus(handle, quietLogger());
    await bus.start();
  });
  afterAll(async () => {
    await withAdmin((c) => c.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`)).catch(() => {});
    await bus?.stop();
    await handle?.close();
    await fresh?.drop();
  });

  const listeners = () =>
    withAdmin(async (c) => Number((await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query = $2`, [name, `LISTEN ${EVENTS_CHANNEL}`])).rows[0].n));

  /** Another process writes an event and notifies, as the executor does. */
  const writeElsewhere = async (runId: string, type: string) => {
    const client = new pg.Client({ connectionString: fresh.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(`INSERT INTO run_events (run_id, type) VALUES ($1, $2) RETURNING id`, [runId, type]);
      await client.query(`SELECT pg_notify($1, $2)`, [EVENTS_CHANNEL, `${runId}:${rows[0].id}`]);
    } finally {
      await client.end();
    }
  };

  it('reconnects after an outage of several seconds and delivers live events again, without leaking connections', { timeout: 90_000 }, async () => {
    const [run] = await handle.db.insert(runs).values({ document: {}, inputs: {}, status: 'running' }).returning({ id: runs.id });
    const runId = run!.id;
    const seen: RunEvent[] = [];
    const unsubscribe = bus.subscribe(runId, 0, (e) => seen.push(e));
    const waitFor = async (type: string) => {
      const until = Date.now() + 45_000;
      while (!seen.some((e) => e.type === type) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      return seen.some((e) => e.type === type);
    };
    try {
      await writeElsewhere(runId, 'node.progress');
      expect(await waitFor('node.progress')).toBe(true);

      // The outage: the listener's connection is killed and new connections are refused for 4 s.
      await withAdmin(async (c) => {
        await c.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
        await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query = $2`, [name, `LISTEN ${EVENTS_CHANNEL}`]);
      });
      await new Promise((r) => setTimeout(r, 4_000));
      expect(bus.listening).toBe(false);
      await withAdmin((c) => c.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`));

      const until = Date.now() + 45_000;
      while (!bus.listening && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(bus.listening).toBe(true);
      await writeElsewhere(runId, 'node.completed');
      expect(await waitFor('node.completed')).toBe(true);
      expect(await listeners()).toBe(1);
    } finally {
      unsubscribe();
    }
  });
});
