/**
 * Documented image limits in a real browser (Debian Chromium, playwright-core): a designer opens
 * the Photo to video template and, in the Kling node's inspector, reads what its start image must
 * be — generated from the catalog's imageLimits, the same declaration the server enforces.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestServer } from './server-support.ts';
import { accessibilityProblems, closeAll, launchBrowser, startEditorServer } from './support/web-browser.ts';

let server: TestServer;
let context: BrowserContext;
let page: Page;
let workDir: string;
const pageErrors: string[] = [];

const byTestId = (id: string) => page.getByTestId(id);
const eventually = <T>(observe: () => T | Promise<T>, timeout = 20_000) => expect.poll(observe, { timeout, interval: 100 });

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'pikflow-web-limits-'));
  server = await startEditorServer(workDir);
  ({ context, page } = await launchBrowser(workDir));
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 180_000);

afterAll(() => closeAll(context, server, workDir));

describe('image limits in the editor', { timeout: 180_000 }, () => {
  it("shows Kling's 300×300 px, 1:2.5–2.5:1 and 10 MB under its start image, and on the port's tooltip", async () => {
    await page.goto(server.url);
    await eventually(() => byTestId('gallery-template-photo-to-video').isVisible()).toBe(true);
    await byTestId('gallery-template-photo-to-video').click();
    await eventually(() => byTestId('node-animate').count()).toBe(1);
    await byTestId('node-animate').locator('.pik-node-header').click();
    await eventually(() => byTestId('inspector').getAttribute('data-node-id')).toBe('animate');

    await eventually(() => byTestId('port-limits-image').textContent()).toBe('Image: at least 300×300 px · aspect 1:2.5–2.5:1 · ≤ 10 MB');
    // The motion-brush mask follows the same rules, in the formats the docs name.
    await eventually(() => byTestId('port-limits-static_mask').textContent()).toBe('Image: at least 300×300 px · aspect 1:2.5–2.5:1 · ≤ 10 MB · JPG or PNG');
    // A port without documented limits says nothing.
    expect(await byTestId('port-limits-prompt').count()).toBe(0);
    // On the canvas, hovering the port label gives the same line.
    const label = byTestId('node-animate').locator('.pik-port-label', { hasText: /start image/i });
    expect(await label.getAttribute('title')).toContain('at least 300×300 px · aspect 1:2.5–2.5:1 · ≤ 10 MB');

    expect(await accessibilityProblems(page)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
