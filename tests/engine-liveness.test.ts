/**
 * Liveness on PostgreSQL (issue 10: a kill -9 resumes instead of waiting out a silence): each
 * engine process holds a lease — an advisory lock on a connection of its own — so a killed
 * process is known dead as soon as its heartbeat is a few seconds old, while a process that is
 * merely stalled (lease held) or reconnecting after an outage (heartbeat fresh) is not.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, engineProcesses, type DbHandle } from '@pikflow/db';
import { LEASE_LOCK_NAMESPACE, createEngine, processAliveSql, type PikflowEngine } from '@pikflow/engine';
import { engineConfigFor, quietLogger } from './support/engine-harness.ts';
import { spawnEngineChild } from './support/child-process.ts';
import { startSimProcess, type SimProcess } from './support/sim-process.ts';
import { freshDatabase, type FreshDatabase } from './support/test-db.ts';

describe('process liveness on PostgreSQL', () => {
  let fresh: FreshDatabase;
  let handle: DbHandle;
  beforeAll(async () => {
    fresh = await freshDatabase('postgres');
    handle = await createDb(fresh.options);
  });
  afterAll(async () => {
    await handle?.close();
    await fresh?.drop();
  });

  const alive = async () => {
    const { rows } = await handle.pool!.query<{ id: string; alive: boolean }>(`SELECT p.id, ${processAliveSql('p')} AS alive FROM engine_processes p ORDER BY p.id`);
    return Object.fromEntries(rows.map((r) => [r.id, r.alive]));
  };

  it('a stale heartbeat with the lease held is alive; with the lease gone it is dead; a fresh heartbeat without a lease (an outage) is alive', async () => {
    const holder = new pg.Client({ connectionString: fresh.databaseUrl });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1, $2)', [LEASE_LOCK_NAMESPACE, 4242]);
      const ago = (s: number) => new Date(Date.now() - s * 1000);
      await handle.db.insert(engineProcesses).values([
        { id: 'stalled', pid: 1, leaseKey: 4242, heartbeatAt: ago(10) },
        { id: 'killed', pid: 2, leaseKey: 4343, heartbeatAt: ago(4) },
        { id: 'reconnecting', pid: 3, leaseKey: 4444, heartbeatAt: ago(1) },
        { id: 'silent', pid: 4, leaseKey: 4242, heartbeatAt: ago(20) },
        { id: 'no-lease', pid: 5, heartbeatAt: ago(10) },
      ]);
      expect(await alive()).toEqual({ killed: false, 'no-lease': true, reconnecting: true, silent: false, stalled: true });
    } finally {
      await holder.end();
      await handle.db.delete(engineProcesses);
    }
    // The holder's connection closed: its lease is gone with it.
    await handle.db.insert(engineProcesses).values({ id: 'stalled', pid: 1, leaseKey: 4242, heartbeatAt: new Date(Date.now() - 10_000) });
    expect((await alive()).stalled).toBe(false);
    await handle.db.delete(engineProcesses);
  });

  it('a worker killed with SIGKILL is removed by a live engine before the 15 s silence would have told', async () => {
    const sim: SimProcess = await startSimProcess();
    let engine: PikflowEngine | undefined;
    const child = spawnEngineChild({ DATA_DIR: fresh.dataDir, DATABASE_URL: fresh.databaseUrl!, SIM_URL: sim.url });
    try {
      const ready = (await child.waitFor((l) => (l.ready ? l : undefined))) as { pid: number };
      engine = createEngine({ config: engineConfigFor({ url: sim.url } as never, fresh.dataDir), db: handle, logger: quietLogger() });
      await engine.start();
      const rows = await handle.db.select().from(engineProcesses);
      const theirs = rows.find((r) => r.pid === ready.pid)!;
      expect(theirs.leaseKey).toBeTypeOf('number');
      await child.kill('SIGKILL');
      const killedAt = Date.now();
      let gone = false;
      while (!gone && Date.now() - killedAt < 12_000) {
        await new Promise((r) => setTimeout(r, 250));
        gone = !(await handle.db.select().from(engineProcesses)).some((r) => r.id === theirs.id);
      }
      expect(gone, 'the dead worker is reaped by its lease, not by a 15 s silence').toBe(true);
    } finally {
      await child.kill('SIGKILL');
      await engine?.stop();
      await sim.close();
    }
  });
});
