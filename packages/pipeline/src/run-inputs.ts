/**
 * Checks what a caller sends to start a run against the pipeline's input
 * nodes, so a bad trigger is a 400 naming each field and never a failed run.
 */
import { PikflowError, type ProblemDetail } from '@pikflow/catalog';
import { checkImageUrl } from './url-safety.ts';
import type { RunInputSpec, ValidationResult } from './validate.ts';

export interface RunInputOptions {
  /** Largest decoded size of a data-URI image. Default 20 MB. */
  maxImageBytes?: number;
  /** Longest text input in characters. Default 20 000. */
  maxTextLength?: number;
  /** Let image URLs point at loopback/private hosts (tests only). */
  allowPrivateUrls?: boolean;
}

export const DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MAX_TEXT_LENGTH = 20_000;

/** How a caller handed over an image. */
export type ImageReference =
  | { kind: 'asset'; assetId: string }
  | { kind: 'url'; url: string }
  | { kind: 'data'; mime: string; base64: string; bytes: number };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATA_URI = /^data:(image\/(?:png|jpeg|webp|gif));base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decoded size of a base64 payload, from its length alone. */
export function base64DecodedSize(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}

/**
 * Reads an image input value: an asset id, an http(s) URL that passes the
 * URL rules, or a base64 data URI of a PNG/JPEG/WebP/GIF under the size limit.
 * Returns the reference or a sentence saying what is wrong.
 */
export function readImageReference(value: unknown, options: RunInputOptions = {}): ImageReference | string {
  if (typeof value !== 'string') return `must be an asset id, an image URL or a data URI, not ${describe(value)}`;
  const text = value.trim();
  if (text === '') return 'must not be empty';
  if (UUID.test(text)) return { kind: 'asset', assetId: text.toLowerCase() };
  if (/^data:/i.test(text)) {
    const match = DATA_URI.exec(text);
    if (!match) return 'data URIs must look like data:image/(png|jpeg|webp|gif);base64,…';
    const base64 = text.slice(match[0].length);
    const limit = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
    // Estimate before looking at the characters: a huge payload is refused without scanning it.
    const bytes = base64DecodedSize(base64);
    if (bytes > limit) return `is ${formatBytes(bytes)}; images may be at most ${formatBytes(limit)}`;
    if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) return 'is not valid base64 after "base64,"';
    return { kind: 'data', mime: match[1]!.toLowerCase(), base64, bytes };
  }
  const problem = checkImageUrl(text, { allowPrivate: options.allowPrivateUrls });
  if (problem) {
    return /^[a-z][a-z0-9+.-]*:/i.test(text) ? problem : 'must be an asset id, an http(s) image URL or a data:image/…;base64 URI';
  }
  return { kind: 'url', url: text };
}

/**
 * The values per input name a run starts with: the caller's, else the input
 * node's default. Throws PikflowError('invalid_input') listing every problem.
 */
export function parseRunInputs(
  validation: Pick<ValidationResult, 'inputs'>,
  raw: unknown,
  options: RunInputOptions = {},
): Record<string, unknown> {
  const problems: ProblemDetail[] = [];
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new PikflowError('invalid_input', 'Run inputs must be a JSON object of values per input name', {
      problems: [{ message: `inputs must be an object, not ${describe(raw)}` }],
    });
  }
  const given = (raw ?? {}) as Record<string, unknown>;
  const specs = new Map(validation.inputs.map((s) => [s.name, s]));

  for (const key of Object.keys(given)) {
    if (specs.has(key)) continue;
    const known = [...specs.keys()];
    problems.push({
      field: key,
      code: 'unknown_input',
      message: `"${key}" is not an input of this pipeline${known.length ? ` (its inputs: ${known.join(', ')})` : ' (it has no inputs)'}`,
    });
  }

  const values: Record<string, unknown> = {};
  for (const spec of validation.inputs) {
    const value = given[spec.name];
    if (value === undefined || value === null) {
      if (spec.default !== undefined) values[spec.name] = spec.default;
      else if (spec.required) {
        problems.push({ field: spec.name, nodeId: spec.nodeId, code: 'missing_input', message: `${spec.name} is required (${expected(spec)})` });
      }
      continue;
    }
    const problem = checkValue(spec, value, options);
    if (problem) problems.push({ field: spec.name, nodeId: spec.nodeId, code: 'invalid_input', message: `${spec.name}: ${problem}` });
    else values[spec.name] = typeof value === 'string' && spec.type === 'image' ? value.trim() : value;
  }

  if (problems.length) {
    const message =
      problems.length === 1 ? `Invalid run input: ${problems[0]!.message}` : `${problems.length} run inputs are invalid: ${problems.map((p) => p.message).join('; ')}`;
    throw new PikflowError('invalid_input', message, { field: problems[0]!.field, nodeId: problems[0]!.nodeId, problems });
  }
  return values;
}

function checkValue(spec: RunInputSpec, value: unknown, options: RunInputOptions): string | null {
  switch (spec.type) {
    case 'image': {
      const ref = readImageReference(value, options);
      return typeof ref === 'string' ? ref : null;
    }
    case 'image[]': {
      if (!Array.isArray(value)) return `must be a list of images, not ${describe(value)}`;
      for (const [i, item] of value.entries()) {
        const ref = readImageReference(item, options);
        if (typeof ref === 'string') return `item ${i + 1} ${ref}`;
      }
      return null;
    }
    case 'text': {
      if (typeof value !== 'string') return `must be text, not ${describe(value)}`;
      const limit = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
      return value.length > limit ? `is ${value.length} characters long; the limit is ${limit}` : null;
    }
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : `must be a number, not ${describe(value)}`;
    default:
      return null;
  }
}

function expected(spec: RunInputSpec): string {
  if (spec.type === 'image') return 'send an asset id, an http(s) image URL or a data:image/…;base64 URI';
  if (spec.type === 'text') return 'send a string';
  if (spec.type === 'number') return 'send a number';
  return `send a ${spec.type} value`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'text';
  return `${typeof value} ${String(value)}`;
}

function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
