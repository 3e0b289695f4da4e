/**
 * The result cache in the editor (Debian Chromium via playwright-core, a started server with
 * the simulator): change one parameter, run, and the untouched node is marked cached with no
 * request; a failed run's Retry reuses what it completed; "Run from here" re-runs one node;
 * choosing "off" in the Run dialog runs every node again.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { http, makePng, startTestServer, type TestServer } from './server-support.ts';

const ROOT = join(import.meta.dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: TestServer;
let context: BrowserContext;
let page: Page;
let workDir: string;
let photo: string;
let pipelineUrl: string;

const byTestId = (id: string) => page.getByTestId(id);
/** Retries an observation until it matches: generous, because CI machines are busy. */
const eventually = <T>(observe: () => T | Promise<T>, timeout = 30_000) => expect.poll(observe, { timeout, interval: 100 });
const status = (nodeId: string) => byTestId(`node-status-${nodeId}`).getAttribute('data-status');

async function select(nodeId: string) {
  await byTestId(`node-${nodeId}`).locator('.pik-node-header').click();
  await eventually(() => byTestId('inspector').getAttribute('data-node-id')).toBe(nodeId);
}

/** Runs from the Run dialog on the photo (with its cache choice); resolves with the new run's id once it has ended. */
async function runFromDialog(previous: string | null, cache?: 'use' | 'refresh' | 'off'): Promise<string> {
  await byTestId('run').click();
  await eventually(() => byTestId('run-dialog').isVisible()).toBe(true);
  await byTestId('run-input-photo-file').setInputFiles(photo);
  await eventually(() => byTestId('run-input-photo-preview').isVisible(), 15_000).toBe(true);
  if (cache) {
    await byTestId('run-cache').selectOption(cache);
    await eventually(() => byTestId('run-cache').inputValue()).toBe(cache);
  }
  await byTestId('run-submit').click();
  return endedRun(previous);
}

async function endedRun(previous: string | null): Promise<string> {
  await eventually(() => byTestId('current-run').getAttribute('data-run-id')).not.toBe(previous);
  await eventually(() => byTestId('current-run').getAttribute('data-status'), 60_000).toMatch(/succeeded|failed/);
  return (await byTestId('current-run').getAttribute('data-run-id'))!;
}

async function setSharpen(value: string) {
  await select('upscale');
  await byTestId('param-sharpen-input').fill(value);
  await eventually(() => byTestId('param-sharpen-input').inputValue()).toBe(value);
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'pikflow-web-cache-'));
  const dist = join(workDir, 'dist');
  execFileSync(process.execPath, [join(ROOT, 'web', 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: join(ROOT, 'web'),
    stdio: 'pipe',
  });
  server = await startTestServer({ config: { webDistDir: dist, logLevel: 'warn' }, simulatorOptions: { latencyMs: 300 } });
  const created = await http(`${server.url}/api/templates/photo-restoration/pipelines`, { method: 'POST', json: { name: 'Cache in the editor' } });
  pipelineUrl = `${server.url}/#/pipelines/${created.body.id}`;
  photo = join(workDir, 'old-photo.png');
  writeFileSync(photo, await makePng(90, 60));
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
  context = await chromium.launchPersistentContext(join(workDir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    viewport: { width: 1600, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (d) => void d.accept());
}, 240_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail' || !page) return;
  const file = join(tmpdir(), `pikflow-web-cache-failure-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`);
  await page.screenshot({ path: file }).catch(() => {});
  console.error(`screenshot of the failure: ${file}`);
});

afterAll(async () => {
  await context?.close();
  await server?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the result cache in the editor', { timeout: 240_000 }, () => {
  let last: string | null = null;

  it('after a parameter change, the untouched node is marked cached and made no request', async () => {
    await page.goto(pipelineUrl);
    await eventually(() => byTestId('node-restore').count(), 20_000).toBe(1);
    last = await runFromDialog(last);
    for (const id of ['restore', 'store_restored', 'upscale', 'store_upscaled']) expect(await status(id)).toBe('succeeded');

    await setSharpen('20');
    last = await runFromDialog(last);
    expect(await byTestId('current-run').getAttribute('data-status')).toBe('succeeded');
    await eventually(() => status('restore')).toBe('cached');
    expect(await byTestId('node-status-restore').textContent()).toContain('cached');
    // The restored image is unchanged, so storing it again is served from the cache too.
    expect(await status('store_restored')).toBe('cached');
    expect(await status('upscale')).toBe('succeeded');
    expect(await status('store_upscaled')).toBe('succeeded');
    await eventually(() => byTestId('run-node-restore').textContent()).toContain('cached · 0 requests');
    await eventually(() => byTestId('run-usage').textContent()).toMatch(/2 nodes from the cache/);
  });

  it('a failed run offers Retry, which runs only what did not complete', async () => {
    const simulator = server.app.pikflow.simulator!;
    simulator.configure({ faults: { failedTasks: 1 } });
    try {
      await setSharpen('30');
      last = await runFromDialog(last);
      expect(await byTestId('current-run').getAttribute('data-status')).toBe('failed');
      expect(await status('restore')).toBe('cached');
      expect(await status('upscale')).toBe('failed');
    } finally {
      simulator.configure({ faults: { failedTasks: 0 } });
    }
    await byTestId('run-retry').click();
    last = await endedRun(last);
    expect(await byTestId('current-run').getAttribute('data-status')).toBe('succeeded');
    await eventually(() => status('restore')).toBe('cached');
    expect(await status('upscale')).toBe('succeeded');
    expect(await status('store_upscaled')).toBe('succeeded');
  });

  it('"Run from here" re-runs the selected node and what follows it; upstream comes from the cache', async () => {
    const before = server.app.pikflow.simulator!.stats().submissions['freepik.gemini-2-5-flash'] ?? 0;
    await select('upscale');
    await byTestId('run-from-here').click();
    last = await endedRun(last);
    expect(await byTestId('current-run').getAttribute('data-status')).toBe('succeeded');
    await eventually(() => status('restore')).toBe('cached');
    expect(await status('upscale')).toBe('succeeded');
    expect(server.app.pikflow.simulator!.stats().submissions['freepik.gemini-2-5-flash'] ?? 0).toBe(before);
  });

  it('Re-roll makes a new Gemini variation that later runs keep', async () => {
    const gemini = () => server.app.pikflow.simulator!.stats().submissions['freepik.gemini-2-5-flash'] ?? 0;
    const restoredImage = async (runId: string) => ((await http(`${server.url}/api/runs/${runId}`)).body.nodes.find((n: { nodeId: string }) => n.nodeId === 'restore').outputs.image.assetId as string);
    const before = gemini();
    const previous = await restoredImage(last!);
    await select('restore');
    await byTestId('reroll').click();
    last = await endedRun(last);
    expect(await byTestId('current-run').getAttribute('data-status')).toBe('succeeded');
    expect(await status('restore')).toBe('succeeded');
    expect(await status('upscale')).toBe('succeeded');
    expect(gemini()).toBe(before + 1);
    const variation = await restoredImage(last);
    expect(variation).not.toBe(previous);

    // The nonce was saved with the pipeline: the next run reuses the new variation.
    last = await runFromDialog(last);
    await eventually(() => status('restore')).toBe('cached');
    expect(await restoredImage(last)).toBe(variation);
    expect(gemini()).toBe(before + 1);
  });

  it('choosing cache "off" in the Run dialog runs every node again: succeeded, not cached', async () => {
    const gemini = () => server.app.pikflow.simulator!.stats().submissions['freepik.gemini-2-5-flash'] ?? 0;
    const before = gemini();
    last = await runFromDialog(last, 'off');
    expect(await byTestId('current-run').getAttribute('data-status')).toBe('succeeded');
    for (const id of ['restore', 'store_restored', 'upscale', 'store_upscaled']) await eventually(() => status(id)).toBe('succeeded');
    expect(gemini()).toBe(before + 1);
    const run = (await http(`${server.url}/api/runs/${last}`)).body;
    expect(run.usage.cachedNodes).toBe(0);
  });
});
