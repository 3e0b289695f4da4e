import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_FAULTS, type RunningSimulator, startSimulator } from '@pikflow/freepik-sim';

const GEMINI = '/v1/ai/gemini-2-5-flash-image-preview';
let sim: RunningSimulator;

async function call(path: string, body?: unknown, key = 'fault-key') {
  const response = await fetch(`${sim.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'x-freepik-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any, retryAfter: response.headers.get('retry-after') };
}

async function statusAfter(taskId: string, ms: number) {
  await new Promise((r) => setTimeout(r, ms));
  return (await call(`${GEMINI}/${taskId}`)).body.data;
}

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 0, seed: 42 });
});
beforeEach(() => {
  sim.configure({ faults: NO_FAULTS, rateLimits: false, seed: 42 });
  sim.resetStats();
});
afterAll(async () => {
  await sim?.close();
});

describe('injected HTTP faults', () => {
  it('answers 429 with a Retry-After header', async () => {
    sim.configure({ faults: { http429: 1, retryAfterSeconds: 7 } });
    const response = await call(GEMINI, { prompt: 'x' });
    expect(response.status).toBe(429);
    expect(response.retryAfter).toBe('7');
    expect(response.body).toEqual({ message: expect.any(String) });
    expect(sim.stats().totals.submissions).toBe(0);
  });

  it('answers 500 and 503 with the documented bodies', async () => {
    sim.configure({ faults: { http500: 1 } });
    expect(await call(GEMINI)).toMatchObject({ status: 500, body: { message: 'Internal Server Error' } });
    sim.configure({ faults: { http500: 0, http503: 1 } });
    expect(await call(GEMINI)).toMatchObject({ status: 503, body: { message: 'Service Unavailable. Please try again later.' } });
  });

  it('roughly honours the configured fractions, and repeats exactly for the same seed', async () => {
    const faults = { http429: 0.2, http500: 0.1, http503: 0.1 };
    const sample = async () => {
      sim.configure({ faults, seed: 1234 });
      const statuses: number[] = [];
      for (let i = 0; i < 400; i++) statuses.push((await call(GEMINI)).status);
      return statuses;
    };
    const first = await sample();
    const share = (code: number) => first.filter((s) => s === code).length / first.length;
    expect(share(429)).toBeGreaterThan(0.13);
    expect(share(429)).toBeLessThan(0.27);
    expect(share(500)).toBeGreaterThan(0.05);
    expect(share(500)).toBeLessThan(0.15);
    expect(share(503)).toBeGreaterThan(0.05);
    expect(share(503)).toBeLessThan(0.15);
    expect(share(200)).toBeGreaterThan(0.5);
    expect(await sample()).toEqual(first);
    const stats = sim.stats();
    expect(stats.refused.injected429).toBe(2 * first.filter((s) => s === 429).length);
  });

  it('leaves /__sim routes and result files alone', async () => {
    sim.configure({ faults: { http503: 1 } });
    expect((await fetch(`${sim.url}/__sim/stats`)).status).toBe(200);
  });
});

describe('injected task faults', () => {
  it('ends a fraction of tasks FAILED with no generated files', async () => {
    sim.configure({ faults: { failedTasks: 1 } });
    const created = await call(GEMINI, { prompt: 'doomed' });
    expect(created.status).toBe(200);
    await expect
      .poll(async () => (await call(`${GEMINI}/${created.body.data.task_id}`)).body.data, { timeout: 5_000 })
      .toEqual({ task_id: created.body.data.task_id, status: 'FAILED', generated: [] });
  });

  it('leaves a fraction of tasks stuck in CREATED forever', async () => {
    sim.configure({ faults: { stuckTasks: 1 } });
    const created = await call(GEMINI, { prompt: 'no credits' });
    const later = await statusAfter(created.body.data.task_id, 300);
    expect(later).toEqual({ task_id: created.body.data.task_id, status: 'CREATED', generated: [] });
    // Clearing the fault does not rescue it, as with a real stuck task.
    sim.configure({ faults: NO_FAULTS });
    expect((await statusAfter(created.body.data.task_id, 50)).status).toBe('CREATED');
  });

  it('splits tasks by fraction with a seed', async () => {
    sim.configure({ faults: { failedTasks: 0.3, stuckTasks: 0.2 }, latencyMs: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await call(GEMINI, { prompt: `p${i}` })).body.data.task_id);
    await new Promise((r) => setTimeout(r, 300));
    const list = (await call(GEMINI)).body.data as { task_id: string; status: string }[];
    const mine = list.filter((t) => ids.includes(t.task_id));
    // Tasks still producing are IN_PROGRESS; wait for them so only stuck ones remain CREATED.
    await expect.poll(async () => (await call(GEMINI)).body.data.filter((t: any) => ids.includes(t.task_id) && t.status === 'IN_PROGRESS').length, { timeout: 20_000 }).toBe(0);
    const final = ((await call(GEMINI)).body.data as typeof list).filter((t) => ids.includes(t.task_id));
    const count = (s: string) => final.filter((t) => t.status === s).length;
    expect(mine).toHaveLength(100);
    expect(count('FAILED')).toBeGreaterThan(15);
    expect(count('FAILED')).toBeLessThan(45);
    expect(count('CREATED')).toBeGreaterThan(8);
    expect(count('CREATED')).toBeLessThan(32);
    expect(count('COMPLETED')).toBe(100 - count('FAILED') - count('CREATED'));
  });
});

describe('lost create responses', () => {
  it('creates the task but cuts the connection, so only list-all reveals it', async () => {
    sim.configure({ faults: { lostCreateResponses: 1 } });
    const before = (await call(GEMINI)).body.data.length;
    await expect(call(GEMINI, { prompt: 'was I created?' })).rejects.toThrow();
    sim.configure({ faults: NO_FAULTS });
    expect((await call(GEMINI)).body.data).toHaveLength(before + 1);
    expect(sim.stats().totals.submissions).toBe(1);
    expect(sim.stats().refused.lostResponses).toBe(1);
  });
});

describe('per-key rate limits', () => {
  it('refuses requests over a window with 429 + Retry-After, per key', async () => {
    sim.configure({ rateLimits: [{ limit: 5, windowMs: 60_000 }] });
    for (let i = 0; i < 5; i++) expect((await call(GEMINI)).status).toBe(200);
    const limited = await call(GEMINI);
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
    expect((await call(GEMINI, undefined, 'another-key')).status).toBe(200);
    expect(sim.stats().refused.rateLimited).toBe(1);
  });

  it("enforces Freepik's documented 50 hits/s over 5 s by default", async () => {
    const strict = await startSimulator({ latencyMs: 0 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 260; i++) {
        const r = await fetch(`${strict.url}${GEMINI}`, { headers: { 'x-freepik-api-key': 'burst' } });
        statuses.push(r.status);
        await r.arrayBuffer();
      }
      expect(statuses.slice(0, 250).every((s) => s === 200)).toBe(true);
      expect(statuses.slice(250).every((s) => s === 429)).toBe(true);
    } finally {
      await strict.close();
    }
  });
});

describe('runtime config over HTTP', () => {
  it('changes faults through POST /__sim/config and never shows the secret', async () => {
    const response = await fetch(`${sim.url}/__sim/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faults: { http503: 1 }, latencyMs: 0 }),
    });
    expect(response.status).toBe(200);
    const config = (await response.json()) as any;
    expect(config.faults.http503).toBe(1);
    expect(config).not.toHaveProperty('webhookSecret');
    expect(JSON.stringify(config)).not.toContain(sim.config.webhookSecret);
    expect((await call(GEMINI)).status).toBe(503);
  });

  it('refuses an invalid config with 400 naming the field', async () => {
    const response = await fetch(`${sim.url}/__sim/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faults: { http429: 2 } }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).invalid_params[0].name).toBe('faults.http429');
  });
});
