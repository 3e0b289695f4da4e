import { readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createDb, runs, type DbHandle } from '@pikflow/db';
import { DB_KINDS, freshDatabase, type FreshDatabase } from './support/test-db.ts';

describe.each(DB_KINDS)('createDb on %s', (kind) => {
  let t: FreshDatabase | undefined;
  let handle: DbHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    await t?.drop();
    handle = undefined;
    t = undefined;
  });

  it('runs the migrations and stores rows with the shared schema', async () => {
    t = await freshDatabase(kind);
    handle = await createDb(t.options);
    expect(handle.kind).toBe(kind);
    const [row] = await handle.db.insert(runs).values({ document: { nodes: [], edges: [] } }).returning();
    expect(row.status).toBe('queued');
    // Re-opening runs the migrations again as a no-op.
    await handle.close();
    handle = await createDb(t.options);
    expect(await handle.db.select().from(runs)).toHaveLength(1);
  });
});

describe('PGlite data-folder lock', () => {
  let t: FreshDatabase | undefined;
  afterEach(async () => t?.drop());

  it('refuses a second opener while the first is alive, naming the folder and pid', async () => {
    t = await freshDatabase('pglite');
    const first = await createDb(t.options);
    try {
      await expect(createDb(t.options)).rejects.toMatchObject({
        code: 'database_locked',
        message: expect.stringContaining(`process ${process.pid}`),
      });
      await expect(createDb(t.options)).rejects.toThrow(join(t.dataDir, 'pglite'));
    } finally {
      await first.close();
    }
    // Released on close.
    const again = await createDb(t.options);
    await again.close();
  });

  it('takes over a lock left by a dead process', async () => {
    t = await freshDatabase('pglite');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(t.dataDir, 'pglite.lock'), dead);
    const handle = await createDb(t.options);
    await handle.close();
  });
});

describe('new PGlite folders', () => {
  const made: FreshDatabase[] = [];
  afterEach(async () => {
    for (const t of made.splice(0)) await t.drop();
  });

  it('are copies of one initialised template: independent databases, each migrated', async () => {
    const a = await freshDatabase('pglite');
    const b = await freshDatabase('pglite');
    made.push(a, b);
    const first = await createDb(a.options);
    const second = await createDb(b.options);
    try {
      await first.db.insert(runs).values({ document: { nodes: [], edges: [] } });
      expect(await first.db.select().from(runs)).toHaveLength(1);
      expect(await second.db.select().from(runs)).toHaveLength(0);
    } finally {
      await first.close();
      await second.close();
    }
    // The template initdb made (once per PGlite build and settings) is in the OS temp folder.
    expect(readdirSync(tmpdir()).some((name) => /^pikflow-pglite-template-[0-9a-f]{16}$/.test(name))).toBe(true);
  });
});
