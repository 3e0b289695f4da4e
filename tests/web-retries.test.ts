/**
 * Waits that end by themselves, seen in the editor (Debian Chromium via playwright-core, a started
 * server with the bundled simulator):
 * - Freepik answers the upscale's submissions 503 (the simulator's fault injection): the node face
 *   and its run view row say "retrying in … (HTTP 503, attempt 2)" as a polite live status while
 *   the engine waits, and once Freepik answers again the node is done and the notice gone;
 * - a limit of one upscale at a time (FREEPIK_QUOTAS) and two upscales: one of them shows
 *   "waiting for quota · 4 s" counting down and "waiting for quota · until 12:00:05
 *   (image-upscaler, concurrent-task limit)", then both are done.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { PipelineDocument } from '@pikflow/pipeline';
import { http, makePng, startTestServer, type TestServer } from './server-support.ts';
import { accessibilityProblems, buildEditor, closeAll, launchBrowser } from './support/web-browser.ts';

const UPSCALER = 'freepik.upscaler-precision-v2';

let server: TestServer | undefined;
let context: BrowserContext | undefined;
let page: Page;
let workDir: string;
/** A photo per test: the result cache would otherwise answer the second test from the first. */
const photos: string[] = [];

const byTestId = (id: string) => page.getByTestId(id);
/** Retries an observation until it matches: generous, because CI machines are busy. */
const eventually = <T>(observe: () => T | Promise<T>, timeout = 30_000) => expect.poll(observe, { timeout, interval: 100 });
const status = (nodeId: string) => byTestId(`node-status-${nodeId}`).getAttribute('data-status');
const text = async (testId: string) => (await byTestId(testId).textContent()) ?? '';

function upscales(ids: string[]): PipelineDocument {
  return {
    version: 1,
    nodes: [
      { id: 'photo', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
      ...ids.flatMap((id, i) => [
        // Different settings: two requests, not one and its cached twin.
        { id, type: UPSCALER, params: { scale_factor: 2 + 2 * i, flavor: 'photo' }, position: { x: 320, y: i * 320 } },
        { id: `${id}_out`, type: 'output', params: { name: `${id}_image` }, position: { x: 660, y: i * 320 } },
      ]),
    ],
    edges: ids.flatMap((id) => [
      { id: `in-${id}`, source: 'photo', sourceHandle: 'image', target: id, targetHandle: 'image' },
      { id: `out-${id}`, source: id, sourceHandle: 'image', target: `${id}_out`, targetHandle: 'value' },
    ]),
  };
}

/** Saves the pipeline, opens it in the editor and runs it on the photo from the Run dialog. */
async function openAndRun(name: string, document: PipelineDocument, firstNode: string, photo: string): Promise<void> {
  const created = await http(`${server!.url}/api/pipelines`, { method: 'POST', json: { name, document } });
  expect(created.status).toBe(201);
  await page.goto(`${server!.url}/#/pipelines/${created.body.id}`);
  await eventually(() => byTestId(`node-${firstNode}`).count()).toBe(1);
  await byTestId('run').click();
  await eventually(() => byTestId('run-dialog').isVisible()).toBe(true);
  await byTestId('run-input-photo-file').setInputFiles(photo);
  await eventually(() => byTestId('run-input-photo-preview').isVisible(), 15_000).toBe(true);
  await byTestId('run-submit').click();
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'pikflow-web-retries-'));
  const dist = join(workDir, 'dist');
  buildEditor(dist);
  server = await startTestServer({
    config: { webDistDir: dist, logLevel: 'warn' },
    // One upscale at a time, each long enough that the second one visibly waits its turn.
    engineEnv: { FREEPIK_QUOTAS: JSON.stringify({ 'image-upscaler': { concurrent: 1 } }) },
    simulatorOptions: { latencyMs: 300, latencyByEndpoint: { [UPSCALER]: 3_000 } },
  });
  for (const [i, [width, height]] of [[90, 60], [96, 64]].entries()) {
    photos.push(join(workDir, `photo-${i}.png`));
    writeFileSync(photos[i]!, await makePng(width!, height!));
  }
  ({ context, page } = await launchBrowser(workDir));
  page.on('dialog', (d) => void d.accept());
}, 240_000);

afterEach(async (ctx) => {
  server?.app.pikflow.simulator?.configure({ faults: { http503: 0 } });
  if (ctx.task.result?.state !== 'fail' || !page) return;
  const file = join(tmpdir(), `pikflow-web-retries-failure-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`);
  await page.screenshot({ path: file }).catch(() => {});
  console.error(`screenshot of the failure: ${file}`);
});

afterAll(() => closeAll(context, server, workDir));

describe('waits on the node while they happen', { timeout: 180_000 }, () => {
  it('a submission answered 503 shows "retrying in … (HTTP 503, attempt 2)" on the node and its row, then the node is done', async () => {
    const simulator = server!.app.pikflow.simulator!;
    simulator.configure({ faults: { http503: 1 } });
    await openAndRun('Retried upscale', upscales(['upscale']), 'upscale', photos[0]!);

    // Freepik keeps answering 503: the engine waits before each new attempt, and says so.
    const notice = byTestId('node-notice-upscale');
    await eventually(() => text('node-notice-upscale')).toMatch(/retrying (in \d+ s|now) \(HTTP 503, attempt \d+\)/);
    expect(await notice.getAttribute('role')).toBe('status');
    expect(await notice.getAttribute('aria-live')).toBe('polite');
    expect(await notice.getAttribute('data-kind')).toBe('retrying');
    // A wait, not a failure: the node is still running.
    expect(await status('upscale')).toBe('running');
    await eventually(() => text('run-node-notice-upscale')).toMatch(/retrying (in \d+ s|now) \(HTTP 503, attempt \d+\)/);

    // Freepik answers again: the next attempt goes through and the notice goes with it.
    simulator.configure({ faults: { http503: 0 } });
    await eventually(() => status('upscale'), 60_000).toBe('succeeded');
    await eventually(() => byTestId('current-run').getAttribute('data-status')).toBe('succeeded');
    expect(await text('node-notice-upscale')).toBe('');
    expect(await byTestId('node-thumb-upscale').isVisible()).toBe(true);
  });

  it('a node over the concurrency limit shows "waiting for quota" counting down, until when and why, then both are done', async () => {
    await openAndRun('Two upscales, one at a time', upscales(['left', 'right']), 'left', photos[1]!);

    // Whichever upscale lost the race for the one slot waits for it.
    const waiter = async () => ((await status('left')) === 'waiting_for_quota' ? 'left' : (await status('right')) === 'waiting_for_quota' ? 'right' : undefined);
    await eventually(waiter).toBeDefined();
    const id = (await waiter())!;
    await eventually(() => text(`node-status-${id}`)).toMatch(/waiting for quota · (\d+ s|any moment)/);
    await eventually(() => text(`node-notice-${id}`)).toMatch(/waiting for quota · until \d{2}:\d{2}:\d{2} \(image-upscaler, concurrent-task limit\)/);
    expect(await byTestId(`node-notice-${id}`).getAttribute('role')).toBe('status');
    expect(await byTestId(`node-notice-${id}`).getAttribute('data-kind')).toBe('waiting');
    await eventually(() => text(`run-node-notice-${id}`)).toContain('(image-upscaler, concurrent-task limit)');
    expect(await accessibilityProblems(page)).toEqual([]);

    await eventually(() => byTestId('current-run').getAttribute('data-status'), 90_000).toBe('succeeded');
    expect(await status('left')).toBe('succeeded');
    expect(await status('right')).toBe('succeeded');
    expect(await text(`node-notice-${id}`)).toBe('');
  });
});
