/**
 * Every template of the gallery, created through the API and run end to end against the
 * bundled Freepik simulator: the run succeeds and every declared output holds a result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES, validatePipeline } from '@pikflow/pipeline';
import { http, makePng, startTestServer, upload, waitForRun, type TestServer } from './server-support.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: { logLevel: 'warn' }, simulatorOptions: { latencyMs: 200 } });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

/** Inputs a designer would give: a photo big enough for every endpoint's documented minimum. */
async function inputsFor(templateId: string): Promise<Record<string, unknown>> {
  const template = TEMPLATES.find((t) => t.id === templateId)!;
  const inputs: Record<string, unknown> = {};
  for (const input of validatePipeline(template.document).inputs) {
    if (input.type === 'image') {
      const asset = await upload(server.url, await makePng(640, 480), `${input.name}.png`);
      inputs[input.name] = asset.body.assetId;
    }
  }
  return inputs;
}

describe('the template gallery', { timeout: 120_000 }, () => {
  it('ships at least six templates across the catalog (restoration, generation, video, upscale, icons, stock)', () => {
    expect(TEMPLATES.length).toBeGreaterThanOrEqual(6);
    const types = new Set(TEMPLATES.flatMap((t) => t.document.nodes.map((n) => n.type)));
    for (const type of [
      'freepik.gemini-2-5-flash',
      'freepik.mystic',
      'freepik.remove-background',
      'freepik.relight',
      'freepik.kling-v2-1-std',
      'freepik.upscaler-precision-v2',
      'freepik.text-to-icon',
      'freepik.stock-resources-search',
      'freepik.style-transfer',
    ]) {
      expect(types).toContain(type);
    }
    for (const t of TEMPLATES) {
      expect(validatePipeline(t.document).problems, t.id).toEqual([]);
      // Laid out left to right along the data flow.
      const x = (id: string) => t.document.nodes.find((n) => n.id === id)!.position.x;
      for (const e of t.document.edges) expect(x(e.target), `${t.id}: ${e.id}`).toBeGreaterThan(x(e.source));
    }
  });

  it.each(TEMPLATES.map((t) => [t.id] as const))('%s runs against the simulator and fills every output', async (templateId) => {
    const created = await http<{ id: string }>(`${server.url}/api/templates/${templateId}/pipelines`, { method: 'POST', json: {} });
    expect(created.status).toBe(201);
    const started = await http<{ runId: string }>(`${server.url}/api/pipelines/${created.body.id}/runs`, {
      method: 'POST',
      json: { inputs: await inputsFor(templateId) },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await waitForRun(server.url, started.body.runId, 90_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const template = TEMPLATES.find((t) => t.id === templateId)!;
    for (const output of validatePipeline(template.document).outputs) {
      expect(run.outputs?.[output.name], `${templateId}: ${output.name}`).toBeTruthy();
    }
  });
});
