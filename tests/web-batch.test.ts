/**
 * Batches in the editor (Debian Chromium via playwright-core, a started server with the
 * simulator): 12 photos dropped on the Run dialog become "a batch of 12 runs" with the server's
 * estimate, the batch view's grid fills in as the items finish, and its ZIP holds every item's
 * outputs; failed items show their reason and "Retry failed items" runs them again.
 *
 * PIKFLOW_SCREENSHOTS=1 also writes the screenshots in docs/screenshots/.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { http, makePng, startTestServer, upload, type TestServer } from './server-support.ts';
import { readZip } from './support/read-zip.ts';
import { ROOT, accessibilityProblems, closeAll, launchBrowser, screenshotIfFailed, startEditorServer } from './support/web-browser.ts';

let server: TestServer | undefined;
let context: BrowserContext;
let page: Page;
let workDir: string;
let pipelineId: string;
let pipelineUrl: string;
/** Photos of different sizes (so no item is the result cache's copy of another), named like a camera's. */
const photos: { name: string; path: string }[] = [];
const pageErrors: string[] = [];

const SCREENSHOTS = process.env.PIKFLOW_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : undefined;

/** A picture for the docs, without the passing messages of earlier steps. */
async function shot(name: string) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  const hide = await page.addStyleTag({ content: '.pik-toasts { display: none !important; }' });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  await hide.evaluate((el) => (el as unknown as { remove(): void }).remove());
}

const byTestId = (id: string) => page.getByTestId(id);
/** Retries an observation until it matches: generous, because CI machines are busy. */
const eventually = <T>(observe: () => T | Promise<T>, timeout = 60_000) => expect.poll(observe, { timeout, interval: 150 });

/** Drops files on an element the way a desktop drag does: a DataTransfer holding File objects. */
async function dropFiles(testId: string, files: { name: string; path: string }[]) {
  const payload = JSON.stringify(files.map((f) => ({ name: f.name, b64: readFileSync(f.path).toString('base64') })));
  // A string expression: the test's TypeScript has no DOM types, the page has.
  const transfer = await page.evaluateHandle(`(() => {
    const data = new DataTransfer();
    for (const f of ${payload}) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      data.items.add(new File([bytes], f.name, { type: 'image/png' }));
    }
    return data;
  })()`);
  await byTestId(testId).dispatchEvent('dragenter', { dataTransfer: transfer });
  await byTestId(testId).dispatchEvent('dragover', { dataTransfer: transfer });
  await byTestId(testId).dispatchEvent('drop', { dataTransfer: transfer });
}

/** The Run dialog of the pipeline at `url` (opened first when the page shows another). */
async function openRunDialog(url = pipelineUrl) {
  if (page.url() !== url) {
    await page.goto(url);
    await eventually(() => byTestId('node-restore').count(), 20_000).toBe(1);
  }
  // A batch view left open by an earlier step covers the editor.
  if (await byTestId('batch-view').count()) await byTestId('batch-view-close').click();
  await byTestId('run').click();
  await eventually(() => byTestId('run-dialog').isVisible()).toBe(true);
}

const batchItems = (status?: string) => page.locator(`[data-testid="batch-item"]${status ? `[data-status="${status}"]` : ''}`);
/** Result thumbnails whose image has loaded. */
const loadedResults = () =>
  page.locator('[data-testid="batch-item-result"]').evaluateAll((imgs) => imgs.filter((i) => (i as unknown as { complete: boolean; naturalWidth: number }).complete && (i as unknown as { naturalWidth: number }).naturalWidth > 0).length);

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'pikflow-web-batch-'));
  server = await startEditorServer(workDir, { latencyMs: 150 });
  pipelineId = (await http(`${server.url}/api/templates/photo-restoration/pipelines`, { method: 'POST', json: { name: 'Family album' } })).body.id;
  pipelineUrl = `${server.url}/#/pipelines/${pipelineId}`;
  for (let i = 1; i <= 12; i++) {
    const path = join(workDir, `IMG_${i}.png`);
    writeFileSync(path, await makePng(40 + i * 3, 30 + i));
    photos.push({ name: `IMG_${i}.png`, path });
  }
  ({ context, page } = await launchBrowser(workDir));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => void d.accept());
}, 240_000);

afterEach((ctx) => screenshotIfFailed(page, ctx.task, 'pikflow-web-batch-failure'));

afterAll(async () => {
  await limited?.stop();
  await closeAll(context, server, workDir);
});

/** A second server on the same editor build with a price table, a small upscaler quota and a per-batch budget. */
let limited: TestServer | undefined;
const LIMITS = {
  FREEPIK_PRICES: JSON.stringify({ currency: 'EUR', perRequest: { 'image-upscaler': 0.1, 'freepik.gemini-2-5-flash': 0.04 } }),
  FREEPIK_QUOTAS: JSON.stringify({ 'image-upscaler': { perDay: 10 } }),
  BUDGET_PER_BATCH: '20',
};

async function startLimitedServer(): Promise<TestServer> {
  // The engine reads its tuning from the environment when the server starts.
  const saved = Object.fromEntries(Object.keys(LIMITS).map((k) => [k, process.env[k]]));
  Object.assign(process.env, LIMITS);
  try {
    return await startTestServer({ config: { webDistDir: join(workDir, 'dist'), logLevel: 'warn' }, simulatorOptions: { latencyMs: 150 } });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('batches in the editor', { timeout: 240_000 }, () => {
  it('12 images dropped on the Run dialog: a batch with its estimate, a grid that fills in, a ZIP of every output', async () => {
    await openRunDialog();
    // One run first: the estimate is the single run's.
    await eventually(() => byTestId('run-estimate').getAttribute('data-submissions'), 20_000).not.toBeNull();
    const single = (await http(`${server!.url}/api/pipelines/${pipelineId}/estimate`, { method: 'POST', json: { count: 1 } })).body;
    expect(await byTestId('run-estimate').getAttribute('data-submissions')).toBe(String(single.submissions));

    // In IMG_1, IMG_10, IMG_2 order on purpose: the batch lists them as a person would (IMG_2 before IMG_10).
    await dropFiles('run-drop', [...photos].sort((a, b) => a.name.localeCompare(b.name)));
    await eventually(() => byTestId('run-batch-summary').textContent(), 10_000).toBe('12 images → a batch of 12 runs');
    expect(await byTestId('run-submit').textContent()).toBe('Start batch (12)');
    expect(await byTestId('run-batch-files').textContent()).toContain('IMG_1.png, IMG_2.png, IMG_3.png');

    // The same numbers as the server's estimate for 12 runs, per service.
    const estimate = (await http(`${server!.url}/api/pipelines/${pipelineId}/estimate`, { method: 'POST', json: { count: 12 } })).body as {
      submissions: number;
      services: { service: string; submissions: number }[];
    };
    expect(estimate.submissions).toBe(single.submissions * 12);
    await eventually(() => byTestId('run-estimate').getAttribute('data-submissions')).toBe(String(estimate.submissions));
    expect(await byTestId('run-estimate-total').textContent()).toBe(`${estimate.submissions} Freepik requests`);
    for (const s of estimate.services) expect(await byTestId(`run-estimate-${s.service}`).textContent()).toContain(`${s.service} ${s.submissions}`);
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('batch-run-dialog');

    await byTestId('run-submit').click();
    await eventually(() => byTestId('batch-view').isVisible()).toBe(true);
    expect(await byTestId('batch-progress').getAttribute('aria-valuemax')).toBe('12');
    // The grid has every item from the start and fills in with results as they arrive.
    await eventually(() => batchItems().count()).toBe(12);
    await eventually(() => byTestId('batch-progress').getAttribute('aria-valuenow'), 120_000).toBe('12');
    expect(await byTestId('batch-progress-text').textContent()).toBe('12/12');
    await eventually(() => byTestId('batch-status').textContent()).toBe('completed');
    await eventually(() => batchItems('succeeded').count()).toBe(12);
    await eventually(loadedResults).toBe(12);
    const labels = await batchItems().evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { label: string } }).dataset.label));
    expect(labels).toEqual(photos.map((p) => p.name));
    expect(await byTestId('batch-retry-failed').count()).toBe(0);
    expect(await byTestId('batch-count-succeeded').textContent()).toBe('12 succeeded');
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('batch-view');

    // The ZIP download: every item's image outputs, named after the photo, and the manifest.
    const batchId = (await byTestId('batch-body').getAttribute('data-batch-id'))!;
    expect(await byTestId('batch-zip').getAttribute('download')).toBe(`family-album-batch-${batchId.replace(/-/g, '').slice(0, 8)}.zip`);
    const [download] = await Promise.all([page.waitForEvent('download'), byTestId('batch-zip').click()]);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    const entries = readZip(readFileSync((await download.path())!));
    const items = (await http(`${server!.url}/api/batches/${batchId}/items`)).body.items as { runId: string }[];
    const outputs = (await http(`${server!.url}/api/runs/${items[0]!.runId}`)).body.outputs as Record<string, unknown>;
    const imagePorts = Object.entries(outputs).filter(([, v]) => typeof v === 'object').map(([k]) => k);
    expect(imagePorts.length).toBeGreaterThan(0);
    for (const photo of photos) {
      for (const port of imagePorts) {
        const file = entries.get(`${photo.name.replace('.png', '')}_${port}.png`);
        expect(file, `${photo.name} ${port} in ${[...entries.keys()].join(', ')}`).toBeDefined();
        expect(file!.subarray(1, 4).toString('latin1')).toBe('PNG');
      }
    }
    expect(entries.size).toBe(12 * imagePorts.length + 1);
    // The manifest: a row per item and output (files and values such as the stored URLs), each succeeded.
    expect(entries.get('manifest.csv')!.toString('utf8').match(/"succeeded"/g)).toHaveLength(12 * Object.keys(outputs).length);

    // Closed, the batch is one click away in the Runs panel.
    await byTestId('batch-view-close').click();
    await eventually(() => byTestId('batch-view').count()).toBe(0);
    await byTestId('tab-runs').click();
    await byTestId(`batch-history-item-${batchId}`).click();
    await eventually(() => byTestId('batch-view').isVisible()).toBe(true);
    await eventually(() => batchItems('succeeded').count()).toBe(12);
    await byTestId('batch-view-close').click();

    // A batch another system started over REST is listed too (the list comes from the server).
    const photo = (await upload(server!.url, readFileSync(photos[0]!.path), 'rest.png')).body.assetId as string;
    const rest = (await http(`${server!.url}/api/pipelines/${pipelineId}/batches`, { method: 'POST', json: { items: [{ inputs: { photo } }] } })).body.batchId as string;
    await page.reload();
    await byTestId('tab-runs').click();
    await eventually(() => byTestId(`batch-history-item-${rest}`).textContent(), 15_000).toContain('1 images');
    expect(await byTestId(`batch-history-item-${batchId}`).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });

  it('failed items show their reason, and "Retry failed items" runs them again', async () => {
    // New photos: the first batch's would come from the result cache, asking Freepik nothing.
    const scans: string[] = [];
    for (const [i, name] of ['scan-a.png', 'scan-b.png', 'scan-c.png'].entries()) {
      scans.push(join(workDir, name));
      writeFileSync(scans[i]!, await makePng(120 + i * 7, 80));
    }
    const simulator = server!.app.pikflow.simulator!;
    simulator.configure({ faults: { failedTasks: 1 } });
    try {
      await openRunDialog();
      // Chosen with the file chooser this time ("Choose many images…").
      await byTestId('run-input-photo-many').setInputFiles(scans);
      await eventually(() => byTestId('run-batch-summary').textContent(), 10_000).toBe('3 images → a batch of 3 runs');
      await byTestId('run-submit').click();
      await eventually(() => byTestId('batch-view').isVisible()).toBe(true);
      await eventually(() => byTestId('batch-status').textContent(), 120_000).toBe('completed');
      await eventually(() => batchItems('failed').count()).toBe(3);
    } finally {
      simulator.configure({ faults: { failedTasks: 0 } });
    }
    expect(await byTestId('batch-count-failed').textContent()).toBe('3 failed');
    // Each failed item says why, in the server's words (its run's error).
    const batchId = (await byTestId('batch-body').getAttribute('data-batch-id'))!;
    const items = (await http(`${server!.url}/api/batches/${batchId}/items`)).body.items as { runId: string }[];
    const runErrors = await Promise.all(items.map(async (i) => (await http(`${server!.url}/api/runs/${i.runId}`)).body.error.message as string));
    expect(runErrors.every((m) => m.length > 10)).toBe(true);
    expect(await page.locator('[data-testid="batch-item-error"]').allTextContents()).toEqual(runErrors);
    expect(await byTestId('batch-retry-failed').textContent()).toBe('Retry failed items (3)');
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('batch-failed-items');

    // "Open run" shows a failed item's run on the canvas; the Runs panel leads back to the batch.
    await page.locator('[data-testid="batch-item-open-run"]').first().click();
    await eventually(() => byTestId('current-run').getAttribute('data-run-id')).toBe(items[0]!.runId);
    expect(await byTestId('current-run').getAttribute('data-status')).toBe('failed');
    await byTestId(`batch-history-item-${batchId}`).click();
    await eventually(() => batchItems('failed').count()).toBe(3);

    await byTestId('batch-retry-failed').click();
    await eventually(() => batchItems('succeeded').count(), 120_000).toBe(3);
    await eventually(() => byTestId('batch-status').textContent()).toBe('completed');
    await eventually(() => byTestId('batch-retry-failed').count()).toBe(0);
    expect(await page.locator('[data-testid="batch-item-error"]').count()).toBe(0);
    await eventually(loadedResults).toBe(3);
    expect(pageErrors).toEqual([]);
  });
  it('a chosen folder gives its images, subfolders included, in path order; hidden files and other files are left out', async () => {
    const album = join(workDir, 'album');
    mkdirSync(join(album, '1950s'), { recursive: true });
    writeFileSync(join(album, 'IMG_10.png'), readFileSync(photos[0]!.path));
    writeFileSync(join(album, 'IMG_2.png'), readFileSync(photos[1]!.path));
    writeFileSync(join(album, '1950s', 'wedding.png'), readFileSync(photos[2]!.path));
    writeFileSync(join(album, '.DS_Store'), 'finder');
    writeFileSync(join(album, 'notes.txt'), 'not a photo');
    await openRunDialog();
    await byTestId('run-input-photo-folder').setInputFiles(album);
    await eventually(() => byTestId('run-batch-summary').textContent(), 10_000).toBe('3 images → a batch of 3 runs');
    expect(await byTestId('run-batch-files').textContent()).toContain('album/1950s/wedding.png, album/IMG_2.png, album/IMG_10.png');
    await byTestId('run-batch-clear').click();
    expect(await byTestId('run-submit').textContent()).toBe('Run ▶');
    await byTestId('run-dialog-close').click();
  });

  it('Pause, Resume and Cancel a running batch', async () => {
    const scans: string[] = [];
    for (const [i, name] of ['slow-a.png', 'slow-b.png'].entries()) {
      scans.push(join(workDir, name));
      writeFileSync(scans[i]!, await makePng(200 + i * 9, 90));
    }
    const simulator = server!.app.pikflow.simulator!;
    // Slow tasks, so the batch is still running while the buttons are pressed.
    simulator.configure({ latencyMs: 4000 });
    try {
      await openRunDialog();
      await byTestId('run-input-photo-many').setInputFiles(scans);
      await byTestId('run-submit').click();
      await eventually(() => byTestId('batch-status').textContent()).toBe('running');
      await byTestId('batch-pause').click();
      await eventually(() => byTestId('batch-status').textContent()).toBe('paused');
      expect(await byTestId('batch-pause').count()).toBe(0);
      await byTestId('batch-resume').click();
      await eventually(() => byTestId('batch-status').textContent()).toBe('running');
      await byTestId('batch-cancel').click();
      await eventually(() => byTestId('batch-status').textContent()).toBe('cancelled');
      await eventually(() => batchItems('cancelled').count()).toBe(2);
      expect(await byTestId('batch-cancel').count()).toBe(0);
      // Cancelled items can be run again like failed ones.
      expect(await byTestId('batch-retry-failed').textContent()).toBe('Retry failed items (2)');
    } finally {
      simulator.configure({ latencyMs: 150 });
    }
    await byTestId('batch-view-close').click();
    expect(pageErrors).toEqual([]);
  });

  it("the dialog shows the money, a quota that does not fit today, and the server's refusal of a batch over budget", async () => {
    limited = await startLimitedServer();
    const id = (await http(`${limited.url}/api/templates/photo-restoration/pipelines`, { method: 'POST', json: { name: 'Over budget' } })).body.id;
    // Each Freepik node shows what one run of it costs, as ComfyUI's price badges do; the input and upload nodes show nothing.
    await page.goto(`${limited.url}/#/pipelines/${id}`);
    await eventually(() => byTestId('node-estimate-restore').textContent(), 20_000).toMatch(/^1 request · €0\.04$/);
    expect(await byTestId('node-estimate-upscale').textContent()).toMatch(/^1 request · €0\.10$/);
    expect(await byTestId('node-estimate-photo').count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);
    await openRunDialog(`${limited.url}/#/pipelines/${id}`);
    await dropFiles('run-drop', photos);
    await eventually(() => byTestId('run-batch-summary').textContent(), 10_000).toBe('12 images → a batch of 12 runs');
    await eventually(() => byTestId('run-estimate').getAttribute('data-submissions')).toBe('24');
    // 12 × 0.10 + 12 × 0.04
    expect(await byTestId('run-estimate-cost').textContent()).toBe('€1.68');
    expect(await byTestId('run-estimate').getAttribute('data-fits-today')).toBe('false');
    expect(await byTestId('run-estimate-problem').textContent()).toContain('image-upscaler needs 12 requests and has 10 of 10 left today; 2 would wait until the quota resets');
    expect(await accessibilityProblems(page)).toEqual([]);

    const before = limited.app.pikflow.simulator!.stats().totals.submissions;
    await byTestId('run-submit').click();
    await eventually(() => byTestId('run-refused').textContent()).toContain('The per-batch budget (BUDGET_PER_BATCH) allows 20 Freepik requests; this batch needs 24');
    expect(await byTestId('run-dialog').isVisible()).toBe(true);
    expect(await byTestId('batch-view').count()).toBe(0);
    expect(await byTestId('run-submit').textContent()).toBe('Start batch (12)');
    expect(limited.app.pikflow.simulator!.stats().totals.submissions).toBe(before);
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('batch-refused');
    expect(pageErrors).toEqual([]);
  });
});
