import { PikflowError } from '@pikflow/catalog';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Deeper JSON than any document needs; recursion over it (zod, jsonb) would be the 500. */
export const MAX_JSON_DEPTH = 64;

// A lone UTF-16 surrogate (the `u` flag matches a well-formed pair as one code point).
const LONE_SURROGATE = /\p{Cs}/u;
const FORBIDDEN_KEYS = new Set(['__proto__']);

/** `name`, `document.nodes.0.label` in a body; `query.cursor`, `params.id` elsewhere. */
function pathText(path: readonly (string | number)[], root: string): string {
  const parts = root === 'body' ? path : [root, ...path];
  return parts.length ? parts.map(String).join('.') : root;
}

/** The sentence for a string PostgreSQL (and JSON consumers) cannot store, or undefined. */
function stringProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate (an unpaired \\uD800–\\uDFFF escape), which is not valid Unicode';
  return undefined;
}

/**
 * Checks a parsed request value without recursion: nesting depth, keys such as
 * `__proto__`, and strings that cannot be stored. Throws a 400 naming the field.
 */
export function checkInputValue(value: unknown, root = 'body'): void {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem) throw new PikflowError('invalid_input', `${pathText(path, root)} ${problem}`, { field: pathText(path, root) });
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (path.length >= MAX_JSON_DEPTH) {
      // Name where the nesting starts to get silly, not all 64 steps of it.
      const field = pathText(path.slice(0, 8), root);
      throw new PikflowError('invalid_input', `${field} is nested more than ${MAX_JSON_DEPTH} levels deep`, { field });
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      const keyPath = [...path, key];
      // `__proto__` anywhere, and `constructor.prototype` (what Fastify's own parser refuses too).
      if (FORBIDDEN_KEYS.has(key) || (key === 'prototype' && path[path.length - 1] === 'constructor')) {
        throw new PikflowError('invalid_input', `${pathText(keyPath, root)}: the key "${key}" is not allowed`, { field: pathText(keyPath, root) });
      }
      const problem = stringProblem(key);
      if (problem) throw new PikflowError('invalid_input', `a key in ${pathText(path, root)} ${problem}`, { field: pathText(path, root) });
      stack.push({ value: item, path: keyPath });
    }
  }
}

/**
 * Bad input becomes a 400 naming the field before any route sees it: a JSON parser that
 * reports `__proto__` keys, depth and unstorable strings as such (Fastify's own calls
 * them all "not valid JSON" or lets them through to PostgreSQL), and the same checks on
 * query strings and path parameters. Registered inside the /api plugin.
 */
export default fp(
  async function safeInput(app: FastifyInstance) {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = body as string;
      if (text.trim() === '') {
        const error = Object.assign(new Error("Request body is empty but content-type is 'application/json'"), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 });
        return done(error, undefined);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        const deep = cause instanceof RangeError;
        return done(
          new PikflowError('invalid_input', deep ? `Request body is nested more than ${MAX_JSON_DEPTH} levels deep` : `Request body is not valid JSON (${(cause as Error).message})`, {
            field: 'body',
          }),
          undefined,
        );
      }
      try {
        checkInputValue(parsed);
      } catch (error) {
        return done(error as Error, undefined);
      }
      done(null, parsed);
    });
    app.addHook('preValidation', async (request) => {
      checkInputValue(request.query, 'query');
      checkInputValue(request.params, 'params');
    });
  },
  { name: 'pikflow-safe-input' },
);
