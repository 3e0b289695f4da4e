/**
 * The catalog against the seeds themselves, with no simulator in between: every
 * endpoint's documented example request is rebuilt by the node's request builder
 * (packages/catalog/src/seed-examples.ts holds the examples, with their seed lines),
 * and every documented answer is read by `readTask` and the node's extractor. And the
 * simulator's request rules, written from the seeds and not from the catalog, accept
 * every documented example body.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getNode, listNodes, readTask, type BinaryFile, type HttpExecution, type NodeDefinition } from '@pikflow/catalog';
import { SIM_ENDPOINTS, type TaskEndpoint } from '@pikflow/freepik-sim';
import { SEED_EXAMPLES, type SeedExample } from '../packages/catalog/src/seed-examples.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const httpNodes = listNodes().filter((d) => d.execution.kind === 'http');
const exec = (def: NodeDefinition) => def.execution as HttpExecution<Record<string, unknown>>;

/** What the node's schema fills in for a field nobody set (undefined: no default). */
function defaultOf(def: NodeDefinition, field: string): unknown {
  const schema = (def.params.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>)[field];
  const parsed = schema?.safeParse(undefined);
  return parsed?.success ? parsed.data : undefined;
}

/** Placeholders of seed 003's Python example: a new UUID and the file's bytes. */
function matches(documented: unknown, sent: unknown): boolean {
  if (documented === '<uuid>') return typeof sent === 'string' && UUID.test(sent);
  if (documented === '<file>') return typeof sent === 'object' && sent !== null && (sent as BinaryFile).kind === 'file';
  return JSON.stringify(sent) === JSON.stringify(documented) || (expect(sent).toEqual(documented), true);
}

/**
 * The built fields against the documented ones: every documented field is sent with its
 * documented value (unless the example says why not), and every other field sent is one
 * of the node's documented defaults.
 */
function expectFields(def: NodeDefinition, kind: string, documented: Record<string, unknown> = {}, built: Record<string, unknown> = {}, notSent: Record<string, string> = {}) {
  const sent = Object.fromEntries(Object.entries(built).filter(([, v]) => v !== undefined));
  for (const [field, value] of Object.entries(documented)) {
    if (field in notSent) {
      expect(sent, `${def.id} ${kind}: ${field} is not sent (${notSent[field]})`).not.toHaveProperty(field);
      continue;
    }
    expect(field in sent, `${def.id} ${kind}: the documented ${field} is sent`).toBe(true);
    expect(matches(value, sent[field]), `${def.id} ${kind}: ${field}`).toBe(true);
  }
  for (const [field, value] of Object.entries(sent)) {
    if (field in documented) continue;
    expect(value, `${def.id} ${kind}: ${field} is not in the example, so it must be the node's documented default`).toEqual(defaultOf(def, field));
  }
}

function buildRequest(def: NodeDefinition, example: SeedExample) {
  const file: BinaryFile = { kind: 'file', filename: 'photo.jpg', contentType: 'image/jpeg', data: new Uint8Array([0xff, 0xd8, 0xff]) };
  const inputs = def.id === 'storage.file-upload' ? { image: file } : (example.inputs ?? {});
  const params = def.params.parse(example.params ?? {}) as Record<string, unknown>;
  return exec(def).request({ params, inputs, webhookUrl: example.webhookUrl, idempotencyKey: '8f1e3d6a-2b4c-4d5e-9f01-23456789abcd' });
}

/** Extracted outputs without the ports left empty. */
const present = (outputs: Record<string, unknown>) => Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined));

describe('the catalog against the seeds’ documented examples', () => {
  it('every HTTP node has its seed example, and every example a node', () => {
    expect(Object.keys(SEED_EXAMPLES).sort()).toEqual(httpNodes.map((d) => d.id).sort());
  });

  it.each(httpNodes.map((d) => [d.id, d] as const))('%s: the request builder makes the documented request', (_id, def) => {
    const example = SEED_EXAMPLES[def.id]!;
    const built = buildRequest(def, example);
    expect(built.method).toBe(example.request.method);
    expect(built.path).toBe(example.request.path);
    expect(built.encoding ?? 'json').toBe(example.request.encoding ?? 'json');
    expectFields(def, 'body', example.request.body, built.body, example.notSent);
    expectFields(def, 'query', example.request.query, built.query as Record<string, unknown> | undefined);
  });

  it.each(httpNodes.filter((d) => SEED_EXAMPLES[d.id]!.answer !== undefined).map((d) => [d.id, d] as const))(
    '%s: the documented answers read as the engine needs them',
    (_id, def) => {
      const example = SEED_EXAMPLES[def.id]!;
      const { mode, extract } = exec(def);
      const answer = readTask(example.answer);
      if (mode === 'sync') {
        expect(present(extract(answer))).toEqual(example.outputs);
        return;
      }
      // An async answer carries the task id and an unfinished status, however it is shaped.
      expect(answer.taskId).toMatch(UUID);
      expect(['CREATED', 'IN_PROGRESS']).toContain(answer.status);
      if (example.progress !== undefined) expect(['CREATED', 'IN_PROGRESS']).toContain(readTask(example.progress).status);
      if (example.finished !== undefined) {
        const finished = readTask(example.finished);
        expect(finished.status).toBe('COMPLETED');
        expect(present(extract(finished))).toEqual(example.outputs);
      } else if (example.outputs) {
        expect(present(extract(answer))).toEqual(example.outputs);
      }
    },
  );

  it('undocumented fields are not offered (issue 15, item 5)', () => {
    expect(Object.keys(getNode('freepik.upscaler-precision-v1')!.params.shape)).not.toContain('filter_nsfw');
    expect(Object.keys(getNode('freepik.upscaler-precision-v2')!.params.shape)).not.toContain('filter_nsfw');
    const imagen3 = getNode('freepik.imagen3')!.params;
    expect(imagen3.safeParse({ prompt: 'x', styling: { colors: [{ color: '#FF0000', weight: 0.5 }] } }).data).not.toHaveProperty('styling.colors');
    // The colour limits are hidden in the seeds: the example passes, and nothing narrower is enforced.
    const flux = getNode('freepik.flux-dev')!.params;
    expect(flux.safeParse({ styling: { colors: [{ color: 'red', weight: 2 }] } }).success).toBe(true);
  });
});

describe('the simulator’s own request rules', () => {
  const taskEndpoints = SIM_ENDPOINTS.filter((e): e is TaskEndpoint => e.kind === 'task');

  it('do not come from the catalog: no simulator source imports it', () => {
    const dir = join(import.meta.dirname, '../packages/freepik-sim/src');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    for (const file of files) expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/@pikflow\/catalog/);
    const pkg = JSON.parse(readFileSync(join(dir, '../package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(Object.keys(pkg.dependencies ?? {})).not.toContain('@pikflow/catalog');
  });

  it.each(taskEndpoints.filter((e) => SEED_EXAMPLES[e.id]?.request.body).map((e) => [e.id, e] as const))(
    '%s accepts the documented example body',
    (_id, endpoint) => {
      const result = endpoint.body.safeParse(SEED_EXAMPLES[endpoint.id]!.request.body);
      expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
    },
  );
});
