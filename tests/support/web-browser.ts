/**
 * The editor in a real browser for the web tests: the editor built from the current sources, a
 * started server with the bundled simulator serving it, Debian Chromium (playwright-core) on a
 * fresh profile, and the axe-core check of what is on screen.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../server-support.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Builds the editor from the current sources into `dist` (a folder of the calling test). */
export function buildEditor(dist: string): void {
  execFileSync(process.execPath, [join(ROOT, 'web', 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: join(ROOT, 'web'),
    stdio: 'pipe',
    // vitest sets NODE_ENV=test, which would build React's development bundle.
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

/** The editor built into `${workDir}/dist`, served by a started test server. */
export async function startEditorServer(workDir: string, simulatorOptions?: NonNullable<Parameters<typeof startTestServer>[0]>['simulatorOptions']): Promise<TestServer> {
  const dist = join(workDir, 'dist');
  buildEditor(dist);
  return startTestServer({ config: { webDistDir: dist, logLevel: 'warn' }, ...(simulatorOptions ? { simulatorOptions } : {}) });
}

/** Chromium on a fresh profile in `workDir`, with no background traffic (the machine has no internet). */
export async function launchBrowser(workDir: string): Promise<{ context: BrowserContext; page: Page }> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
  const context = await chromium.launchPersistentContext(join(workDir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: { width: 1600, height: 1000 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/** After a failed test, a picture of the page (what the user would have seen), named after the test. */
export async function screenshotIfFailed(page: Page | undefined, task: { name: string; result?: { state?: string } }, prefix: string): Promise<void> {
  if (task.result?.state !== 'fail' || !page) return;
  const file = join(tmpdir(), `${prefix}-${task.name.slice(0, 40).replace(/\W+/g, '-')}.png`);
  await page.screenshot({ path: file }).catch(() => {});
  console.error(`screenshot of the failure: ${file}`);
}

export interface EditorSession {
  server: TestServer;
  context: BrowserContext;
  page: Page;
  workDir: string;
  /** Uncaught errors of the page: a web test ends by expecting none. */
  pageErrors: string[];
}

/** The editor built and served from a fresh folder, on a fresh Chromium page that accepts dialogs and collects page errors. */
export async function startEditorSession(name: string): Promise<EditorSession> {
  const workDir = mkdtempSync(join(tmpdir(), `pikflow-${name}-`));
  const server = await startEditorServer(workDir);
  const { context, page } = await launchBrowser(workDir);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  return { server, context, page, workDir, pageErrors };
}

/** Closes what a web test started (any of it may be missing when its setup failed). */
export async function closeAll(context: BrowserContext | undefined, server: TestServer | undefined, workDir: string | undefined): Promise<void> {
  await context?.close();
  await server?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

const AXE_SOURCE = readFileSync(join(ROOT, 'tests', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/**
 * axe-core over what is on screen now: the critical and serious violations (WCAG 2.x A/AA).
 * Evaluated through the DevTools protocol, so a strict Content-Security-Policy does not block it.
 */
export async function accessibilityProblems(on: Page): Promise<string[]> {
  if ((await on.evaluate('typeof window.axe')) === 'undefined') {
    const cdp = await on.context().newCDPSession(on);
    await cdp.send('Runtime.evaluate', { expression: AXE_SOURCE });
    await cdp.detach();
  }
  return (await on.evaluate(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] })
    .then((r) => r.violations
      .filter((v) => v.impact === 'critical' || v.impact === 'serious')
      .flatMap((v) => v.nodes.slice(0, 4).map((n) => v.impact + ' ' + v.id + ': ' + n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 200))))`)) as string[];
}
