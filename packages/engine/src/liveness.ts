import { randomInt } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * Which engine processes are alive, so that a dead one's half-done work is taken over quickly
 * (issue 10: a kill -9 resumes instead of waiting out a silence).
 *
 * Every process beats in `engine_processes` every HEARTBEAT_MS. A heartbeat alone can only say
 * "silent for a while", so on PostgreSQL each process also holds a session advisory lock on a
 * connection of its own (its lease): PostgreSQL drops the lock the moment that connection dies,
 * which for a killed process is at once. A process is dead when
 *   - its heartbeat is older than OWNER_DEAD_AFTER_MS (a process stalled that long is treated as
 *     gone either way), or
 *   - its lease is not held and its heartbeat is older than LEASE_GRACE_MS: a lost lease with a
 *     recent heartbeat is a database outage the process is reconnecting from, not a death.
 * A stalled but living process (event loop blocked, GC) keeps its lease, so it is never taken over
 * sooner than before. PGlite has one process by construction (lockfile) and no leases.
 */

/** How often a process writes its heartbeat. */
export const HEARTBEAT_MS = 1_000;
/** A process silent for this long is dead, lease or not. */
export const OWNER_DEAD_AFTER_MS = 15_000;
/** A process without its lease is dead once its heartbeat is this old (longer than a beat and a reconnect). */
export const LEASE_GRACE_MS = 2_500;
/** How often every process looks for processes that died (a cheap query; a death triggers a sweep). */
export const DEATH_WATCH_MS = 1_000;
/** The advisory-lock namespace of leases (first key of the two-key form); the second is the process's lease key. */
export const LEASE_LOCK_NAMESPACE = 0x50_69_6b; // "Pik"

/**
 * SQL that is true when the process row aliased `p` is alive (see above). On PGlite the lease
 * part is never consulted: no row has a lease key.
 */
export function processAliveSql(p: string): string {
  return `(${p}.heartbeat_at > now() - interval '${OWNER_DEAD_AFTER_MS / 1000} seconds'
    AND (${p}.lease_key IS NULL OR ${p}.heartbeat_at > now() - interval '${LEASE_GRACE_MS / 1000} seconds'
      OR EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
        AND l.classid = ${LEASE_LOCK_NAMESPACE}::oid AND l.objid = ${p}.lease_key::oid)))`;
}

/** A random positive int4: the second key of this process's lease lock. */
export const newLeaseKey = () => randomInt(1, 2 ** 31 - 1);

/**
 * This process's lease on PostgreSQL: a dedicated connection holding the advisory lock. When the
 * connection is lost (an outage, a terminated backend) it reconnects and takes the lock again, and
 * tells the caller so the heartbeat is written at once.
 */
export class Lease {
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    readonly key: number,
    private readonly log: Logger,
    private readonly onRegained: () => void,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'pikflow-lease' });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query('SELECT pg_advisory_lock($1, $2)', [LEASE_LOCK_NAMESPACE, this.key]);
    this.client = client;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client || this.stopped) return;
    this.client = undefined;
    client.end().catch(() => {});
    this.log.warn('liveness lease lost (database connection dropped); reconnecting');
    this.reconnectSoon(200);
  }

  private reconnectSoon(ms: number): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().then(
        () => {
          this.log.info('liveness lease regained');
          this.onRegained();
        },
        () => this.reconnectSoon(Math.min(2_000, ms * 2)),
      );
    }, ms);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
