/**
 * Liveness on PostgreSQL (issue 10: a kill -9 resumes instead of waiting out a silence): each
 * engine process holds a lease — an advisory lock on a connection of its own — so a killed
 * process is known dead as soon as its heartbeat is a few seconds old, while a process that is
 * merely stalled (lease held) or reconnecting after an outage (heartbeat fresh) is not.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, engineProcesses, type DbHandle } from '@pikflow/db';
import { LEASE_LOCK_NAMESPACE, QUEUES, createEngine, liveJobsSql, processAliveSql, type PikflowEngine } from '@pikflow/engine';
import { engineConfigFor, quietLogger, smallPng } from './support/engine-harness.ts';
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

  it("an active job is in hand while a living process lists it (or it is newer than that process's beat); one no living process lists is lost at once, however young", async () => {
    // pg-boss's schema and queues, as every engine creates them.
    const api = createEngine({ config: { ...engineConfigFor({ url: 'http://127.0.0.1:9' } as never, fresh.dataDir), runWorkers: false }, db: handle, logger: quietLogger() });
    await api.start();
    const pool = handle.pool!;
    const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
    try {
      const job = (n: number, nodeId: string, startedSecondsAgo: number) =>
        pool.query(`INSERT INTO pgboss.job (id, name, data, state, started_on) VALUES ($1, $2, $3, 'active', now() - make_interval(secs => $4))`, [
          id(n),
          QUEUES.check,
          { runId: 'run', nodeId },
          startedSecondsAgo,
        ]);
      await job(1, 'listed-by-living', 60);
      await job(2, 'listed-by-dead', 3);
      await job(3, 'listed-by-nobody', 3);
      await job(4, 'newer-than-the-beat', 0);
      await job(5, 'own', 60);
      await pool.query(
        `INSERT INTO engine_processes (id, pid, heartbeat_at, held_jobs) VALUES
           ('living', 1, now() - interval '0.5 seconds', ARRAY[$1::uuid]), ('dead', 2, now() - interval '20 seconds', ARRAY[$2::uuid])`,
        [id(1), id(2)],
      );
      const inHand = async (o: { allActiveOrphaned?: boolean } = {}) => {
        const { rows } = await pool.query<{ node_id: string }>(`SELECT node_id FROM (${liveJobsSql({ ownHeld: [id(5)], alive: processAliveSql, ...o })}) l ORDER BY node_id`);
        return rows.map((r) => r.node_id);
      };
      // Before, an active job counted as in hand for 10 s after a death (30–60 s otherwise), whoever had it.
      expect(await inHand()).toEqual(['listed-by-living', 'newer-than-the-beat', 'own']);
      expect(await inHand({ allActiveOrphaned: true })).toEqual(['own']);
    } finally {
      await pool.query(`DELETE FROM pgboss.job WHERE data->>'runId' = 'run'`);
      await handle.db.delete(engineProcesses);
      await api.stop();
    }
  });

  it('a status check held by a worker killed with SIGKILL is taken over by the death watch, not left for an age rule', { timeout: 90_000 }, async () => {
    const sim: SimProcess = await startSimProcess();
    await sim.configure({ latencyMs: 600 });
    // Between the worker and the simulator: while `hold` is on, status reads get no answer, so the
    // worker is inside its check job when it is killed.
    let hold = true;
    let heldReads = 0;
    const proxy = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (hold && req.method === 'GET' && /^\/v1\/ai\/gemini-2-5-flash-image-preview\/[0-9a-f-]{36}$/.test(req.url ?? '')) {
        heldReads++;
        return; // never answered
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
      const upstream = await fetch(sim.url + req.url, { method: req.method, headers, body: req.method === 'GET' ? undefined : Buffer.concat(chunks) });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const input = await smallPng(16, 12);
    const child = spawnEngineChild({ DATA_DIR: fresh.dataDir, DATABASE_URL: fresh.databaseUrl!, SIM_URL: proxyUrl, START_RUNS: '1', INPUT_DATA_URI: input.dataUri, POLL_INITIAL_DELAY_MS: '200' });
    let engine: PikflowEngine | undefined;
    try {
      const runId = await child.waitFor((l) => (typeof l.runId === 'string' ? l.runId : undefined), 30_000);
      while (heldReads === 0) await new Promise((r) => setTimeout(r, 50));
      const { rows: held } = await handle.pool!.query<{ id: string; started_on: Date }>(
        `SELECT id, started_on FROM pgboss.job WHERE name = $1 AND state = 'active' AND data->>'runId' = $2`,
        [QUEUES.check, runId],
      );
      expect(held).toHaveLength(1);
      await child.kill('SIGKILL');
      hold = false;
      engine = createEngine({ config: engineConfigFor({ url: proxyUrl } as never, fresh.dataDir, { poll: { initialDelayMs: 200, factor: 1.5, maxDelayMs: 400 } }), db: handle, logger: quietLogger(), workers: { pollingIntervalSeconds: 0.5 } });
      await engine.start();
      const run = await engine.waitForRun(runId, 60_000);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      // The check was sent again while the dead worker's job was young, which the old rule (an active
      // check job is someone's for 10 s after a death) could not do; the old job is still 'active'.
      const { rows: resent } = await handle.pool!.query<{ created_on: Date }>(
        `SELECT created_on FROM pgboss.job WHERE name = $1 AND data->>'runId' = $2 AND data->>'nodeId' = 'restore' AND id <> $3 ORDER BY created_on LIMIT 1`,
        [QUEUES.check, runId, held[0]!.id],
      );
      expect(resent).toHaveLength(1);
      expect(resent[0]!.created_on.getTime() - held[0]!.started_on.getTime()).toBeLessThan(10_000);
      expect((await sim.stats()).submissions?.['freepik.gemini-2-5-flash']).toBe(1);
    } finally {
      await child.kill('SIGKILL');
      await engine?.stop();
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
      await sim.close();
    }
  });
});
