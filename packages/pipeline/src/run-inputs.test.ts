import { PikflowError } from '@pikflow/catalog';
import { describe, expect, it } from 'vitest';
import { base64DecodedSize, parseRunInputs, readImageReference } from './run-inputs.ts';
import { TEMPLATES } from './templates.ts';
import { validatePipeline, type RunInputSpec } from './validate.ts';

const restoration = validatePipeline(TEMPLATES[0]!.document);
const ASSET = '0b7d3c52-3f7e-4a41-9d1c-2b8f6a1e9c10';
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PikflowError);
    const err = e as PikflowError;
    expect(err.code).toBe('invalid_input');
    expect(err.httpStatus).toBe(400);
    return err.problems ?? [];
  }
  throw new Error('expected parseRunInputs to throw');
}

describe('parseRunInputs', () => {
  it('accepts an asset id, a public URL or a data URI for an image input', () => {
    expect(parseRunInputs(restoration, { photo: ASSET })).toEqual({ photo: ASSET });
    expect(parseRunInputs(restoration, { photo: 'https://images.example.com/old.jpg' })).toEqual({ photo: 'https://images.example.com/old.jpg' });
    expect(parseRunInputs(restoration, { photo: PNG })).toEqual({ photo: PNG });
  });

  it('names a missing required input', () => {
    const problems = problemsOf(() => parseRunInputs(restoration, {}));
    expect(problems).toEqual([
      { field: 'photo', nodeId: 'photo', code: 'missing_input', message: 'photo is required (send an asset id, an http(s) image URL or a data:image/…;base64 URI)' },
    ]);
    expect(problemsOf(() => parseRunInputs(restoration, undefined))[0]!.field).toBe('photo');
  });

  it('refuses unknown inputs, naming the real ones', () => {
    const problems = problemsOf(() => parseRunInputs(restoration, { photo: ASSET, picture: ASSET }));
    expect(problems).toEqual([{ field: 'picture', code: 'unknown_input', message: '"picture" is not an input of this pipeline (its inputs: photo)' }]);
  });

  it('refuses a non-object body', () => {
    expect(problemsOf(() => parseRunInputs(restoration, [ASSET]))[0]!.message).toBe('inputs must be an object, not a list');
  });

  it('reports every bad field at once', () => {
    const problems = problemsOf(() => parseRunInputs(restoration, { photo: 42, extra: 'x' }));
    expect(problems.map((p) => p.field).sort()).toEqual(['extra', 'photo']);
    expect(problems.find((p) => p.field === 'photo')!.message).toBe('photo: must be an asset id, an image URL or a data URI, not number 42');
  });

  it.each([
    ['http://127.0.0.1/a.png', 'photo: image URLs must not point at a private, loopback or link-local address (127.0.0.1)'],
    ['http://169.254.169.254/latest', 'photo: image URLs must not point at a private, loopback or link-local address (169.254.169.254)'],
    ['file:///etc/passwd', 'photo: image URLs must use http or https, not file'],
    ['javascript:alert(1)', 'photo: image URLs must use http or https, not javascript'],
    ['data:text/html;base64,PGI+', 'photo: data URIs must look like data:image/(png|jpeg|webp|gif);base64,…'],
    ['data:image/png;base64,###', 'photo: is not valid base64 after "base64,"'],
    ['old-photo.jpg', 'photo: must be an asset id, an http(s) image URL or a data:image/…;base64 URI'],
    ['', 'photo: must not be empty'],
  ])('refuses image %s', (value, message) => {
    expect(problemsOf(() => parseRunInputs(restoration, { photo: value }))[0]!.message).toBe(message);
  });

  it('refuses a data URI above the size limit without decoding it', () => {
    const big = `data:image/jpeg;base64,${'A'.repeat(28 * 1024 * 1024)}`; // ~21 MB decoded
    expect(problemsOf(() => parseRunInputs(restoration, { photo: big }))[0]!.message).toBe('photo: is 21 MB; images may be at most 20 MB');
    const small = `data:image/jpeg;base64,${'A'.repeat(4 * 1024)}`;
    expect(problemsOf(() => parseRunInputs(restoration, { photo: small }, { maxImageBytes: 1024 }))[0]!.message).toBe(
      'photo: is 3 KB; images may be at most 1 KB',
    );
  });

  it('allowPrivateUrls lets tests use loopback URLs', () => {
    expect(parseRunInputs(restoration, { photo: 'http://127.0.0.1:9999/a.png' }, { allowPrivateUrls: true })).toEqual({ photo: 'http://127.0.0.1:9999/a.png' });
  });

  it('text inputs take strings up to a limit; defaults fill omitted inputs', () => {
    const inputs: RunInputSpec[] = [
      { name: 'prompt', type: 'text', nodeId: 't', required: false, default: 'make it new' },
      { name: 'photo', type: 'image', nodeId: 'p', required: false, default: ASSET },
    ];
    expect(parseRunInputs({ inputs }, {})).toEqual({ prompt: 'make it new', photo: ASSET });
    expect(parseRunInputs({ inputs }, { prompt: 'sepia' })).toEqual({ prompt: 'sepia', photo: ASSET });
    expect(problemsOf(() => parseRunInputs({ inputs }, { prompt: 5 }))[0]!.message).toBe('prompt: must be text, not number 5');
    expect(problemsOf(() => parseRunInputs({ inputs }, { prompt: 'x'.repeat(11) }, { maxTextLength: 10 }))[0]!.message).toBe(
      'prompt: is 11 characters long; the limit is 10',
    );
  });

  it('takes defaults from the input node params', () => {
    const v = validatePipeline({
      nodes: [
        { id: 'p', type: 'input.text', params: { name: 'style', text: 'warm tones' } },
        { id: 'o', type: 'output', params: { name: 'style' } },
      ],
      edges: [{ id: 'e', source: 'p', sourceHandle: 'text', target: 'o', targetHandle: 'value' }],
    });
    expect(v.inputs).toEqual([expect.objectContaining({ name: 'style', type: 'text', required: false, default: 'warm tones' })]);
    expect(parseRunInputs(v, {})).toEqual({ style: 'warm tones' });
  });
});

describe('readImageReference', () => {
  it('classifies the three forms', () => {
    expect(readImageReference(ASSET.toUpperCase())).toEqual({ kind: 'asset', assetId: ASSET });
    expect(readImageReference('https://example.com/a.png')).toEqual({ kind: 'url', url: 'https://example.com/a.png' });
    expect(readImageReference(PNG)).toMatchObject({ kind: 'data', mime: 'image/png' });
  });
  it('estimates decoded size from length', () => {
    expect(base64DecodedSize('AAAA')).toBe(3);
    expect(base64DecodedSize('AAA=')).toBe(2);
    expect(base64DecodedSize('AA==')).toBe(1);
  });
});
