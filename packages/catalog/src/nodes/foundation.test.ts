/**
 * The foundation nodes against their docs (seeds 000, 001, 003): defaults,
 * request bodies, status routes and result extraction from documented responses.
 */
import { describe, expect, it } from 'vitest';
import type { BinaryFile, HttpExecution, RequestContext } from '../define-node.ts';
import { getNode } from '../registry.ts';
import { readTask } from '../task-response.ts';
import { fileServiceUpload } from './file-service-upload.ts';
import { gemini25Flash } from './gemini-2-5-flash.ts';
import { imageInput } from './image-input.ts';
import { output } from './output.ts';
import { textInput } from './text-input.ts';
import { upscalerPrecisionV2 } from './upscaler-precision-v2.ts';

const KEY = '7d9f3c1e-2b4a-4c8e-9f1a-3e5d7b9c1a2f';
const WEBHOOK = 'https://www.example.com/webhook';
const http = <P>(exec: { kind: string }) => {
  expect(exec.kind).toBe('http');
  return exec as HttpExecution<P>;
};
const ctx = <P>(params: P, inputs: Record<string, unknown> = {}, webhookUrl?: string): RequestContext<P> => ({
  params,
  inputs,
  idempotencyKey: KEY,
  ...(webhookUrl ? { webhookUrl } : {}),
});
// A PNG as the bare base64 Freepik returns from some endpoints (> 64 chars).
const BARE_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const FOUNDATION = [imageInput, textInput, output, gemini25Flash, upscalerPrecisionV2, fileServiceUpload];

describe('every foundation node', () => {
  it('is registered', () => {
    for (const def of FOUNDATION) expect(getNode(def.id)).toBe(def);
  });

  it.each(FOUNDATION.map((d) => [d.id, d] as const))('%s: defaults parse (required fields aside)', (_id, def) => {
    const shape = (def.params as { shape: object }).shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
    const required = Object.entries(shape).filter(([, f]) => !f.safeParse(undefined).success).map(([k]) => k);
    // Gemini requires its prompt and Precision V2 its scale_factor (seed 000); everything else parses from nothing.
    const documented: Record<string, string[]> = { [gemini25Flash.id]: ['prompt'], [upscalerPrecisionV2.id]: ['scale_factor'] };
    expect(required).toEqual(documented[def.id] ?? []);
    if (required.length === 0) expect(def.params.safeParse({}).success).toBe(true);
  });

  it('input and output nodes run locally and default their names', () => {
    expect(imageInput.execution.kind).toBe('input');
    expect(textInput.execution.kind).toBe('input');
    expect(output.execution.kind).toBe('output');
    expect(imageInput.params.parse({})).toEqual({ name: 'image' });
    expect(textInput.params.parse({})).toEqual({ name: 'text' });
    expect(output.params.parse({})).toEqual({ name: 'result' });
    expect(imageInput.params.safeParse({ name: 'photo 1' }).success).toBe(false);
    expect(imageInput.params.safeParse({ name: '1photo' }).success).toBe(false);
    expect(imageInput.params.safeParse({ name: 'old_photo' }).success).toBe(true);
  });
});

describe('Gemini 2.5 Flash (seed 000)', () => {
  const exec = http<{ prompt: string }>(gemini25Flash.execution);

  it('builds the documented body: prompt, reference_images, webhook_url', () => {
    const req = exec.request(
      ctx({ prompt: 'A beautiful sunset' }, { reference_images: [BARE_PNG, 'https://example.com/reference-image.jpg'] }, WEBHOOK),
    );
    expect(req).toEqual({
      method: 'POST',
      path: '/v1/ai/gemini-2-5-flash-image-preview',
      body: { prompt: 'A beautiful sunset', reference_images: [BARE_PNG, 'https://example.com/reference-image.jpg'], webhook_url: WEBHOOK },
    });
  });

  it('leaves out empty reference lists and webhook_url when webhooks are off', () => {
    expect(exec.request(ctx({ prompt: 'x' }, { reference_images: [] })).body).toEqual({ prompt: 'x' });
    expect(exec.request(ctx({ prompt: 'x' })).body).toEqual({ prompt: 'x' });
  });

  it('prompt is required and non-empty', () => {
    expect(gemini25Flash.params.safeParse({}).success).toBe(false);
    expect(gemini25Flash.params.safeParse({ prompt: '' }).success).toBe(false);
    expect(gemini25Flash.inputs.find((p) => p.name === 'reference_images')).toMatchObject({ type: 'image[]', maxItems: 3 });
  });

  it('is async with status and list routes', () => {
    expect(exec.mode).toBe('async');
    expect(exec.statusPath!('046b6c7f-0b8a-43b9-b35d-6489e6daee91')).toBe(
      '/v1/ai/gemini-2-5-flash-image-preview/046b6c7f-0b8a-43b9-b35d-6489e6daee91',
    );
    expect(exec.listPath).toBe('/v1/ai/gemini-2-5-flash-image-preview');
  });

  it('extracts the image from the documented responses', () => {
    const created = readTask({ data: { generated: [], task_id: '046b6c7f-0b8a-43b9-b35d-6489e6daee91', status: 'CREATED' } });
    expect(created).toMatchObject({ taskId: '046b6c7f-0b8a-43b9-b35d-6489e6daee91', status: 'CREATED', generated: [] });
    expect(exec.extract(created)).toEqual({ image: undefined });
    const done = readTask({ data: { generated: ['https://ai-statics.freepik.com/content/mg-upscaler/a.png'], task_id: 't1', status: 'COMPLETED' } });
    expect(exec.extract(done)).toEqual({ image: 'https://ai-statics.freepik.com/content/mg-upscaler/a.png' });
  });
});

describe('Magnific Upscaler Precision V2 (seeds 000 + 001)', () => {
  type P = ReturnType<typeof upscalerPrecisionV2.params.parse>;
  const exec = http<P>(upscalerPrecisionV2.execution);

  it('defaults match the docs, and scale_factor is required with no default (seed 000)', () => {
    expect(upscalerPrecisionV2.params.parse({ scale_factor: 4 })).toEqual({ sharpen: 7, smart_grain: 7, ultra_detail: 30, scale_factor: 4 });
    const missing = upscalerPrecisionV2.params.safeParse({});
    expect(missing.success).toBe(false);
    expect(missing.error!.issues.map((i) => i.path[0])).toEqual(['scale_factor']);
  });

  it('offers no field the seeds do not document (filter_nsfw is not in them)', () => {
    expect(Object.keys(upscalerPrecisionV2.params.shape).sort()).toEqual(['flavor', 'scale_factor', 'sharpen', 'smart_grain', 'ultra_detail']);
    expect(upscalerPrecisionV2.params.safeParse({ scale_factor: 4, filter_nsfw: true }).data).not.toHaveProperty('filter_nsfw');
  });

  it('builds the documented example body', () => {
    const params = upscalerPrecisionV2.params.parse({ flavor: 'photo', scale_factor: 4 });
    const req = exec.request(ctx(params, { image: 'https://example.com/restored-photo.jpg' }, WEBHOOK));
    expect(req).toEqual({
      method: 'POST',
      path: '/v1/ai/image-upscaler-precision-v2',
      body: {
        image: 'https://example.com/restored-photo.jpg',
        webhook_url: WEBHOOK,
        sharpen: 7,
        smart_grain: 7,
        ultra_detail: 30,
        flavor: 'photo',
        scale_factor: 4,
      },
    });
  });

  it('builds the seed-000 restoration body with base64 input and no webhook', () => {
    const params = upscalerPrecisionV2.params.parse({ sharpen: 10, smart_grain: 5, ultra_detail: 40, flavor: 'photo', scale_factor: 4 });
    expect(exec.request(ctx(params, { image: BARE_PNG })).body).toEqual({
      image: BARE_PNG,
      sharpen: 10,
      smart_grain: 5,
      ultra_detail: 40,
      flavor: 'photo',
      scale_factor: 4,
    });
  });

  it.each([4, '4', 2, 16, '16', '2'])('scale_factor accepts %j', (value) => {
    expect(upscalerPrecisionV2.params.safeParse({ scale_factor: value })).toMatchObject({ success: true, data: { scale_factor: value } });
  });

  it.each([1, 17, '17', '1', 4.5, '4.0', 'four', ' 4', null])('scale_factor refuses %j', (value) => {
    expect(upscalerPrecisionV2.params.safeParse({ scale_factor: value }).success).toBe(false);
  });

  it.each([
    ['sharpen', 101],
    ['sharpen', -1],
    ['smart_grain', 7.5],
    ['ultra_detail', '30'],
    ['flavor', 'vivid'],
  ])('refuses %s = %j', (field, value) => {
    expect(upscalerPrecisionV2.params.safeParse({ scale_factor: 4, [field]: value }).success).toBe(false);
  });

  it('status and list routes', () => {
    expect(exec.mode).toBe('async');
    expect(exec.statusPath!('abc')).toBe('/v1/ai/image-upscaler-precision-v2/abc');
    expect(exec.listPath).toBe('/v1/ai/image-upscaler-precision-v2');
  });

  it('extracts from the documented completed task (std envelope)', () => {
    const task = readTask({
      data: { generated: ['https://ai-statics.freepik.com/completed_task_image.jpg'], task_id: '046b6c7f-0b8a-43b9-b35d-6489e6daee91', status: 'COMPLETED' },
    });
    expect(task.status).toBe('COMPLETED');
    expect(exec.extract(task)).toEqual({ image: 'https://ai-statics.freepik.com/completed_task_image.jpg' });
  });
});

describe('readTask on documented response shapes', () => {
  it('flat task_status (style transfer, imagen3 examples)', () => {
    const task = readTask({ task_id: 't-flat', task_status: 'IN_PROGRESS', generated: [] });
    expect(task).toMatchObject({ taskId: 't-flat', status: 'IN_PROGRESS', generated: [] });
    const done = readTask({ task_id: 't-flat', task_status: 'COMPLETED', generated: ['https://x.example/a.png'] });
    expect(http(upscalerPrecisionV2.execution).extract(done)).toEqual({ image: 'https://x.example/a.png' });
  });

  it('webhook body without the data envelope', () => {
    expect(readTask({ task_id: 'w1', status: 'FAILED', generated: [] })).toMatchObject({ taskId: 'w1', status: 'FAILED' });
  });

  it('drops non-URL entries in generated, keeping URLs and {url} objects', () => {
    const task = readTask({ data: { task_id: 't', status: 'COMPLETED', generated: [null, 42, 'not a url', { url: 'https://x.example/b.png' }, 'https://x.example/c.png'] } });
    expect(task.generated).toEqual(['https://x.example/b.png', 'https://x.example/c.png']);
    expect(http(gemini25Flash.execution).extract(task)).toEqual({ image: 'https://x.example/b.png' });
  });

  it('turns bare base64 entries (imagen3) into data URIs', () => {
    const task = readTask({ data: { task_id: 't', status: 'COMPLETED', generated: [BARE_PNG] } });
    expect(task.generated).toEqual([`data:image/png;base64,${BARE_PNG}`]);
    expect(http(upscalerPrecisionV2.execution).extract(task)).toEqual({ image: `data:image/png;base64,${BARE_PNG}` });
  });

  it('keeps data URIs and maps other status words', () => {
    expect(readTask({ data: { status: 'COMPLETED', generated: ['data:image/jpeg;base64,/9j/AAAA'] } }).generated).toEqual(['data:image/jpeg;base64,/9j/AAAA']);
    expect(readTask({ data: { status: 'processing' } }).status).toBe('IN_PROGRESS');
    expect(readTask({ data: { status: 'CANCELED' } }).status).toBe('FAILED');
    expect(readTask('garbage')).toMatchObject({ taskId: undefined, status: 'IN_PROGRESS', generated: [] });
  });
});

describe('File-service upload (seed 003)', () => {
  const exec = http<Record<string, never>>(fileServiceUpload.execution);
  const file: BinaryFile = { kind: 'file', filename: 'restored.png', contentType: 'image/png', data: new Uint8Array([137, 80, 78, 71]) };

  it('posts multipart id (the stable UUID) + image file to /api/v1/file/uploads', () => {
    expect(exec.service).toBe('file-service');
    expect(exec.mode).toBe('sync');
    expect(exec.request(ctx({}, { image: file }))).toEqual({
      method: 'POST',
      path: '/api/v1/file/uploads',
      encoding: 'multipart',
      body: { id: KEY, image: file },
    });
    expect(fileServiceUpload.inputs[0]).toMatchObject({ name: 'image', accepts: 'file', required: true });
  });

  it.each([
    [{ url: 'https://files.example.com/a.png' }],
    [{ data: { file_url: 'https://files.example.com/a.png' } }],
    [{ success: true, result: { location: 'https://files.example.com/a.png' } }],
    [{ message: 'ok', file: { path: 'x', link: 'https://files.example.com/a.png' } }],
  ])('reads the stored URL from %j', (body) => {
    expect(exec.extract(readTask(body))).toEqual({ url: 'https://files.example.com/a.png', image: 'https://files.example.com/a.png' });
  });

  it.each([[{ url: '/uploads/a.png' }], [{ data: { file_url: 'uploads/a.png' } }], [{ location: '//cdn.example.com/a.png' }]])(
    'refuses a relative path %j with a clear error',
    (body) => {
      expect(() => exec.extract(readTask(body))).toThrow(
        expect.objectContaining({ code: 'upstream_error', message: expect.stringMatching(/not an absolute http\(s\) URL; a relative path/) }),
      );
    },
  );

  it('says so when the answer holds no URL at all', () => {
    expect(() => exec.extract(readTask({ ok: true, id: 'x' }))).toThrow(/no http\(s\) URL/);
  });
});
