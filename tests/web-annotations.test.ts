/**
 * Notes, groups and bypass in a real browser (Debian Chromium, playwright-core) against a started
 * server: a designer opens the Photo restoration template, writes a sticky note, frames the
 * restore step in a titled group and drags it (the node moves along), bypasses Gemini with
 * Ctrl+B (and sees an impossible bypass refused with Run disabled), saves, reloads: all of it is
 * still there, and axe finds nothing critical or serious.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { PipelineDocument } from '@pikflow/pipeline';
import type { TestServer } from './server-support.ts';
import { accessibilityProblems, closeAll, launchBrowser, startEditorServer } from './support/web-browser.ts';

let server: TestServer;
let context: BrowserContext;
let page: Page;
let workDir: string;
const pageErrors: string[] = [];

const byTestId = (id: string) => page.getByTestId(id);
const eventually = <T>(observe: () => T | Promise<T>, timeout = 20_000) => expect.poll(observe, { timeout, interval: 100 });

async function box(testId: string) {
  const b = await byTestId(testId).boundingBox();
  if (!b) throw new Error(`${testId} is not on screen`);
  return b;
}

async function selectNode(id: string) {
  await byTestId(`node-${id}`).locator('.pik-node-header').click();
  await eventually(() => byTestId('inspector').getAttribute('data-node-id')).toBe(id);
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'pikflow-web-annotations-'));
  server = await startEditorServer(workDir);
  ({ context, page } = await launchBrowser(workDir));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => void d.accept());
}, 180_000);

afterAll(() => closeAll(context, server, workDir));

describe('notes, groups and bypass', { timeout: 180_000 }, () => {
  it('adds a note and a group, bypasses a node, saves, and a reload keeps all three', async () => {
    await page.goto(server.url);
    await eventually(() => byTestId('gallery-template-photo-restoration').isVisible(), 20_000).toBe(true);
    await byTestId('gallery-template-photo-restoration').click();
    await eventually(() => byTestId('pipeline-version').textContent()).toBe('v1');
    await eventually(() => byTestId('node-restore').count()).toBe(1);
    await page.waitForTimeout(300); // the fit-view after loading

    // A sticky note from the palette: type into it.
    await byTestId('add-note').click();
    await eventually(() => byTestId('note-note-1').isVisible()).toBe(true);
    await byTestId('note-text-note-1').fill('Gemini restores, the upscaler sharpens');
    await eventually(() => byTestId('unsaved-indicator').count()).toBe(1);

    // A group around the selected restore node (Ctrl+G), titled.
    await selectNode('restore');
    await page.keyboard.press('Control+g');
    await eventually(() => byTestId('group-group-1').isVisible()).toBe(true);
    await byTestId('group-title-group-1').fill('Restoration step');
    expect(await page.getByRole('group', { name: 'Group: Restoration step' }).count()).toBe(1);

    // Dragging the group by its title bar carries the node inside it.
    const nodeBefore = await box('node-restore');
    const groupBefore = await box('group-group-1');
    const grip = await page.locator('[data-testid="group-group-1"] .pik-group-grip').boundingBox();
    expect(grip).not.toBeNull();
    const from = { x: grip!.x + grip!.width / 2, y: grip!.y + grip!.height / 2 };
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 40, from.y + 30, { steps: 6 });
    await page.mouse.move(from.x + 80, from.y + 60, { steps: 6 });
    await page.mouse.up();
    const nodeAfter = await box('node-restore');
    const groupAfter = await box('group-group-1');
    expect(groupAfter.x - groupBefore.x).toBeGreaterThan(40);
    expect(nodeAfter.x - nodeBefore.x).toBeGreaterThan(40);
    expect(nodeAfter.y - nodeBefore.y).toBeGreaterThan(30);

    // Shift+N puts a note at the mouse; Ctrl+Z takes it back.
    await page.locator('.react-flow__pane').click({ position: { x: 60, y: 60 } });
    await page.keyboard.press('Shift+N');
    await eventually(() => byTestId('note-note-2').count()).toBe(1);
    await page.keyboard.press('Control+z');
    await eventually(() => byTestId('note-note-2').count()).toBe(0);
    expect(await byTestId('note-text-note-1').inputValue()).toBe('Gemini restores, the upscaler sharpens');

    // An impossible bypass: the upload's url (text) output has no text input to pass on.
    await selectNode('store_restored');
    await page.keyboard.press('Control+b');
    await eventually(() => byTestId('node-bypassed-store_restored').isVisible()).toBe(true);
    await eventually(() => byTestId('run').isDisabled()).toBe(true);
    await eventually(() => byTestId('node-problems-store_restored').textContent()).toContain("output 'url' (text) has no text input to pass through");
    await page.keyboard.press('Control+b');
    await eventually(() => byTestId('node-bypassed-store_restored').count()).toBe(0);

    // Bypass Gemini: dimmed with a "bypassed" label, the inspector's toggle on, Run still allowed.
    await selectNode('restore');
    await page.keyboard.press('Control+b');
    await eventually(() => byTestId('node-bypassed-restore').textContent()).toBe('bypassed');
    expect(await byTestId('node-restore').getAttribute('class')).toContain('pik-node-bypassed');
    await eventually(() => byTestId('bypass-toggle').isChecked()).toBe(true);
    await eventually(() => byTestId('run').isEnabled()).toBe(true);

    expect(await accessibilityProblems(page)).toEqual([]);
    if (process.env.PIKFLOW_SCREENSHOTS === '1') await page.screenshot({ path: join(tmpdir(), 'pikflow-annotations.png') });

    await page.keyboard.press('Control+s');
    await eventually(() => byTestId('pipeline-version').textContent()).toBe('v2');
    await eventually(() => byTestId('unsaved-indicator').count()).toBe(0);
    const id = page.url().match(/#\/pipelines\/([0-9a-f-]{36})$/)![1];
    const stored = (await fetch(`${server.url}/api/pipelines/${id}`).then((r) => r.json())) as { document: PipelineDocument };
    expect(stored.document.annotations?.map((a) => [a.kind, a.text])).toEqual([
      ['note', 'Gemini restores, the upscaler sharpens'],
      ['group', 'Restoration step'],
    ]);
    expect(stored.document.nodes.filter((n) => n.bypass).map((n) => n.id)).toEqual(['restore']);

    await page.reload();
    await eventually(() => byTestId('node-restore').count(), 20_000).toBe(1);
    await eventually(() => byTestId('note-text-note-1').inputValue()).toBe('Gemini restores, the upscaler sharpens');
    await eventually(() => byTestId('group-title-group-1').inputValue()).toBe('Restoration step');
    await eventually(() => byTestId('node-bypassed-restore').isVisible()).toBe(true);
    await eventually(() => byTestId('unsaved-indicator').count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
