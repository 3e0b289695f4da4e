/**
 * Writes docs/freepik-api.md, the API document the user asked for in seed 003: how to call
 * the upload service and each Freepik endpoint of the catalog. Everything a node declares
 * comes from the catalog (fields, ranges, enums, defaults, URL vs base64, mode, status and
 * list routes, concurrency), and the example requests and answers from the seeds
 * (packages/catalog/src/seed-examples.ts), so the document cannot drift from what Pikflow
 * sends: tests/freepik-api-doc.test.ts fails while the committed file differs from this
 * output.
 *
 *   npm run gen:api-doc        (npx tsx scripts/gen-freepik-api-doc.ts)
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CATEGORIES, listNodes, serializeNode, type HttpExecution, type HttpRequest, type InputPort, type NodeDefinition } from '../packages/catalog/src/index.ts';
import { SEED_EXAMPLES, type SeedExample } from '../packages/catalog/src/seed-examples.ts';

export const DOC_PATH = fileURLToPath(new URL('../docs/freepik-api.md', import.meta.url));
const BASE = 'https://api.freepik.com';
const UPLOAD_BASE = 'https://file-service-cdal.onrender.com';

type Json = Record<string, unknown>;
const exec = (def: NodeDefinition) => def.execution as HttpExecution<Json>;
const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const CATEGORY_TITLES: Record<string, string> = {
  'image-generation': 'Image generation',
  'image-edit': 'Image editing',
  upscale: 'Upscaling',
  video: 'Video',
  icons: 'Icons',
  lora: 'Mystic LoRAs',
  analysis: 'Analysis',
  stock: 'Stock content',
};

/** The request the seed example makes, built by the node itself. */
function seedRequest(def: NodeDefinition, example: SeedExample): HttpRequest {
  const params = def.params.parse(example.params ?? {}) as Json;
  return exec(def).request({ params, inputs: example.inputs ?? {}, webhookUrl: example.webhookUrl, idempotencyKey: '<uuid>' });
}

/** The route with its path parameters named again: `/v1/icons/52912` → `/v1/icons/{id}`. */
function routeOf(def: NodeDefinition, example: SeedExample): { path: string; pathParams: string[] } {
  const built = seedRequest(def, example);
  const params = example.params ?? {};
  const pathParams: string[] = [];
  const segments = built.path.split('/').map((segment) => {
    const name = Object.keys(params).find((k) => String(params[k]) === decodeURIComponent(segment) && !(built.body && k in built.body) && !(built.query && k in built.query));
    if (!name) return segment;
    pathParams.push(name);
    return `{${name}}`;
  });
  return { path: segments.join('/'), pathParams };
}

interface FieldRow {
  name: string;
  where: 'body' | 'query' | 'path' | 'header' | 'form' | 'multipart';
  type: string;
  required: boolean;
  rules: string;
  description: string;
}

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  title?: string;
  pattern?: string;
  default?: unknown;
  description?: string;
  const?: unknown;
};

function typeOf(s: Schema): string {
  if (s.enum) return 'enum';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return [...new Set(s.anyOf.map(typeOf))].join(' \\| ');
  if (s.type === 'array') return `${s.items ? typeOf(s.items) : 'any'}[]`;
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
}

function rulesOf(s: Schema): string {
  const parts: string[] = [];
  if (s.enum) parts.push(`one of ${s.enum.map((v) => code(String(v))).join(', ')}`);
  if (s.anyOf) {
    const consts = s.anyOf.filter((a) => a.const !== undefined).map((a) => code(String(a.const)));
    if (consts.length === s.anyOf.length) parts.push(`one of ${consts.join(', ')}`);
    else parts.push(...s.anyOf.map(rulesOf).filter(Boolean));
  }
  // zod's .int() sets the safe-integer bounds: they are no documented limit.
  const min = s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER ? s.minimum : undefined;
  const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  if (min !== undefined && max !== undefined) parts.push(`${min}–${max}`);
  else if (min !== undefined) parts.push(`≥ ${min}`);
  else if (max !== undefined) parts.push(`≤ ${max}`);
  if (s.minLength === 1) parts.push('not empty');
  else if (s.minLength !== undefined && s.minLength > 1) parts.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (s.minItems !== undefined || s.maxItems !== undefined) parts.push(`${s.minItems ?? 0}–${s.maxItems ?? '…'} items`);
  if (s.pattern) parts.push(`matches ${code(s.pattern)}`);
  if (s.default !== undefined) parts.push(`default ${code(JSON.stringify(s.default))}`);
  return parts.join('; ');
}

function paramRows(def: NodeDefinition, where: FieldRow['where'], pathParams: string[], query: boolean): FieldRow[] {
  const schema = serializeNode(def).paramsSchema as Schema;
  const rows: FieldRow[] = [];
  const walk = (name: string, s: Schema, required: boolean, depth: number) => {
    const item = s.type === 'array' && s.items?.properties ? s.items : undefined;
    const nested = s.properties ? s : item;
    // A list in the query repeats its key, one value each: filters[icon_type][]=a&filters[icon_type][]=b.
    const repeated = query && depth > 0 && s.type === 'array';
    rows.push({
      name: repeated ? `${name}[]` : name,
      where: pathParams.includes(name) ? 'path' : name === 'Accept-Language' ? 'header' : where,
      type: typeOf(s),
      required,
      rules: [rulesOf(s), repeated ? 'repeat the key for each value' : ''].filter(Boolean).join('; '),
      // A field whose name needs spelling out has a title ("Icon id") and no description.
      description: s.description ?? s.title ?? '',
    });
    if (!nested?.properties || depth > 2) return;
    for (const [child, childSchema] of Object.entries(nested.properties)) {
      const childName = query ? `${name}[${child}]` : `${name}${item ? '[]' : ''}.${child}`;
      walk(childName, childSchema, (nested.required ?? []).includes(child), depth + 1);
    }
  };
  for (const [name, s] of Object.entries(schema.properties ?? {})) walk(name, s, (schema.required ?? []).includes(name), 0);
  return rows;
}

const TRANSPORT: Record<string, string> = {
  url: 'a public http(s) URL',
  base64: 'base64 (no URL)',
  both: 'a public http(s) URL or base64',
  file: 'the file bytes (multipart)',
};

function portRows(def: NodeDefinition, where: FieldRow['where'], known: Set<string>): FieldRow[] {
  return def.inputs
    .filter((p: InputPort) => !known.has(p.name))
    .map((p) => ({
      name: p.name,
      where,
      type: p.type === 'image[]' ? 'string[]' : p.type === 'image' || p.type === 'text' ? 'string' : p.type,
      required: Boolean(p.required),
      rules: [
        p.accepts ? TRANSPORT[p.accepts] : '',
        p.minItems !== undefined || p.maxItems !== undefined ? `${p.minItems ?? 0}–${p.maxItems ?? '…'} items` : '',
      ]
        .filter(Boolean)
        .join('; '),
      description: [p.label, p.description].filter(Boolean).join(': ') + (p.type.startsWith('image') ? ' (an input port in Pikflow)' : ''),
    }));
}

function fieldTable(rows: FieldRow[]): string {
  if (!rows.length) return 'No fields.\n';
  const lines = ['| field | in | type | required | limits, values, default | meaning |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${code(r.name)} | ${r.where} | ${cell(r.type)} | ${r.required ? 'yes' : ''} | ${cell(r.rules)} | ${cell(r.description)} |`);
  return lines.join('\n') + '\n';
}

/** Long seed payloads shortened for reading: base64 over 120 characters, lists past 2 items (URLs stay whole). */
function shorten(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 120 && !/^https?:\/\//.test(value) ? `${value.slice(0, 100)}…` : value;
  if (Array.isArray(value)) return (value.length > 2 ? value.slice(0, 2) : value).map(shorten);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v)]));
  return value;
}
const json = (value: unknown) => '```json\n' + JSON.stringify(shorten(value), null, 2) + '\n```\n';
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function queryString(query: Json | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else if (v !== undefined) params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function curlOf(request: HttpRequest, base: string, headers: Record<string, string> = {}): string {
  const lines = [`curl --request ${request.method} \\`, `  --url ${shellQuote(base + request.path + queryString(request.query as Json | undefined))} \\`];
  if (base === BASE) lines.push(`  --header 'x-freepik-api-key: <api-key>' \\`);
  for (const [k, v] of Object.entries({ ...headers, ...request.headers })) lines.push(`  --header ${shellQuote(`${k}: ${v}`)} \\`);
  const body = Object.fromEntries(Object.entries(request.body ?? {}).filter(([, v]) => v !== undefined));
  if (request.encoding === 'form') {
    for (const [k, v] of Object.entries(body)) lines.push(`  --data-urlencode ${shellQuote(`${k}=${String(v)}`)} \\`);
  } else if (request.encoding === 'multipart') {
    lines.push(`  --form "id=$(uuidgen)" \\`, `  --form 'image=@photo.jpg' \\`);
  } else if (request.body) {
    lines.push(`  --header 'Content-Type: application/json' \\`, `  --data ${shellQuote(JSON.stringify(shorten(body), null, 2))} \\`);
  }
  lines[lines.length - 1] = lines[lines.length - 1]!.replace(/ \\$/, '');
  return '```sh\n' + lines.join('\n') + '\n```\n';
}

function typescriptOf(def: NodeDefinition, request: HttpRequest, route: string): string {
  const e = exec(def);
  const body = Object.fromEntries(Object.entries(request.body ?? {}).filter(([, v]) => v !== undefined && v !== '<uuid>'));
  const init: string[] = [`method: '${request.method}'`];
  if (request.headers) init.push(`headers: ${JSON.stringify(request.headers)}`);
  if (request.encoding === 'form') init.push(`form: ${JSON.stringify(shorten(body))}`);
  else if (request.body) init.push(`json: ${JSON.stringify(shorten(body), null, 2).replace(/\n/g, '\n  ')}`);
  const call = `await freepik('${route}${queryString(request.query as Json | undefined)}', {\n  ${init.join(',\n  ')},\n})`;
  if (e.mode === 'sync') return '```ts\nconst answer = ' + call + ';\n```\n';
  if (e.mode === 'webhook-only') {
    return '```ts\n// No status route: the result arrives at your webhook_url (verify it with verifyWebhook above).\nconst created = ' + call + ';\nconst taskId = created.data?.task_id ?? created.task_id;\n```\n';
  }
  const statusRoute = e.statusPath!('${taskId}');
  return '```ts\nconst created = ' + call + ';\nconst finished = await waitForTask(`' + statusRoute + '`, created.data?.task_id ?? created.task_id);\nconsole.log(finished.generated); // result URLs: copy them at once, they expire\n```\n';
}

function modeText(def: NodeDefinition): string {
  const e = exec(def);
  const limit = e.maxConcurrentTasks ? ` At most ${e.maxConcurrentTasks} unfinished tasks per API key (Pikflow waits for a free slot).` : '';
  switch (e.mode) {
    case 'sync':
      return 'Synchronous: the answer holds the result.' + limit;
    case 'webhook-only':
      return (
        'Asynchronous, webhook only: the answer carries a task id, there is no status route, and the result is POSTed to the `webhook_url`' +
        (def.id === 'freepik.text-to-icon-render' ? ' the icon task was created with.' : ' of the request (required).') +
        limit
      );
    default:
      return (
        `Asynchronous: the answer carries a task id. Poll ${code(`GET ${e.statusPath!('{task-id}')}`)} every 2–5 s until ${code('COMPLETED')} or ${code('FAILED')}, or pass a ${code('webhook_url')}.` +
        (e.listPath ? ` ${code(`GET ${e.listPath}`)} lists the key's tasks.` : '') +
        limit
      );
  }
}

function nodeSection(def: NodeDefinition): string {
  const example = SEED_EXAMPLES[def.id];
  if (!example) throw new Error(`${def.id}: no seed example in packages/catalog/src/seed-examples.ts`);
  const e = exec(def);
  const request = seedRequest(def, example);
  const { path, pathParams } = routeOf(def, example);
  const where: FieldRow['where'] = request.method === 'GET' ? 'query' : request.encoding === 'form' ? 'form' : 'body';
  const params = paramRows(def, where, pathParams, where === 'query');
  const rows = [...params, ...portRows(def, where, new Set(params.map((r) => r.name)))];
  if (e.mode !== 'sync' && e.service === 'freepik' && def.id !== 'freepik.text-to-icon-render' && !rows.some((r) => r.name === 'webhook_url')) {
    rows.push({ name: 'webhook_url', where, type: 'string (URL)', required: e.mode === 'webhook-only', rules: 'http(s)', description: 'Where Freepik POSTs each status change (Pikflow sets it when webhooks are on)' });
  }
  const out: string[] = [];
  out.push(`### ${def.title}`, '', `Node ${code(def.id)}. ${def.description}`, '');
  out.push(`**Request:** ${code(`${request.method} ${path}`)}${request.encoding === 'form' ? ' (application/x-www-form-urlencoded)' : request.body ? ' (application/json)' : ''}. ${modeText(def)}`, '');
  out.push(fieldTable(rows));
  out.push(`**Example** (${example.source}):`, '', curlOf(request, BASE), typescriptOf(def, request, request.path));
  if (example.answer !== undefined) out.push('**Answer:**', '', json(example.answer));
  if (example.progress !== undefined) out.push('**Status while it runs:**', '', json(example.progress));
  if (example.finished !== undefined) out.push('**Status when finished:**', '', json(example.finished));
  out.push(`**Pikflow's outputs:** ${def.outputs.map((p) => `${code(p.name)} (${p.type}${p.description ? `: ${p.description}` : ''})`).join(', ')}.`, '');
  return out.join('\n');
}

function uploadSection(def: NodeDefinition): string {
  const example = SEED_EXAMPLES[def.id]!;
  const request = example.request as HttpRequest;
  return [
    '## Your upload service',
    '',
    `Node ${code(def.id)}. ${def.description} Source: ${example.source}.`,
    '',
    `**Request:** ${code(`POST ${example.request.path}`)} on your service (Pikflow: ${code('FILE_SERVICE_URL')}), multipart/form-data, no API key.`,
    '',
    '| field | type | required | meaning |',
    '|---|---|---|---|',
    '| `id` | string (UUID) | yes | A new UUID per image. Pikflow sends the node run\'s idempotency key, so a retried upload overwrites instead of duplicating. |',
    '| `image` | file | yes | The image bytes. |',
    '',
    '**Answer:** not documented (the seed only prints `response.json()`). Pikflow reads the stored URL from the first of `url`, `file_url`, `fileUrl`, `location` and `secure_url`, anywhere in the JSON, else any absolute http(s) URL in it; a relative path is refused with a clear error. That URL is the image\'s permanent address, the one to keep as the generated image.',
    '',
    curlOf(request, UPLOAD_BASE),
    '```ts',
    "const form = new FormData();",
    "form.append('id', crypto.randomUUID());",
    "form.append('image', new Blob([await readFile('photo.jpg')], { type: 'image/jpeg' }), 'photo.jpg');",
    `const stored = await (await fetch('${UPLOAD_BASE}${example.request.path}', { method: 'POST', body: form })).json();`,
    '```',
    '',
  ].join('\n');
}

const PREFACE = `# Calling the Freepik API and your upload service

This document is generated by \`scripts/gen-freepik-api-doc.ts\` (\`npm run gen:api-doc\`): each
endpoint's fields, limits, defaults, URL-or-base64 rules and routes come from the Pikflow
node that calls it (\`packages/catalog/src/nodes/\`), and its examples from the seed documents
(\`packages/catalog/src/seed-examples.ts\`, with their lines). Do not edit it by hand: a test
fails when it differs from what the script writes.

## Basics

- **Base URL** \`${BASE}\`. **Authentication**: every Freepik request carries the header
  \`x-freepik-api-key: <api-key>\`. Keep the key out of code, logs and answers.
- **Images** go either as a **public http(s) URL** or as **base64** text, as each field says
  below ("base64 (no URL)" fields refuse URLs; "a public http(s) URL" fields refuse base64).
- **Tasks.** Most endpoints are asynchronous: the answer is a task
  \`{"data": {"task_id", "status", "generated": []}}\` (some answer the flat
  \`{"task_id", "task_status", "generated"}\`; read both). The status goes
  \`CREATED → IN_PROGRESS → COMPLETED | FAILED\`. Poll the status route **every 2–5 seconds**
  until \`COMPLETED\` (then \`generated\` holds the result URLs) or \`FAILED\`.
- **Webhooks.** With \`webhook_url\` in the request, Freepik POSTs every status change there:
  the status answer without \`data\` (\`{"task_id", "status", "generated"}\`), signed with the
  headers \`webhook-id\`, \`webhook-timestamp\` and \`webhook-signature\` (\`v1,<base64 HMAC-SHA256
  of "id.timestamp.body" keyed with your webhook secret>\`, several entries space-separated).
- **Results expire** (Remove background: 5 minutes; others: unknown). Store them at once, for
  example in your upload service (below).
- **Errors**: 400 \`{"message", "invalid_params": [{"name", "reason"}]}\`, 401
  \`{"message": "Invalid API key"}\` / \`"Missing API key"\`, 429 when a limit is reached (retry
  after \`Retry-After\` when given), 500 and 503 \`{"message"}\`. Never re-send a POST whose answer
  was lost: the task may exist and would be paid twice.

The TypeScript examples use these two helpers (Node 20+, no dependencies):

\`\`\`ts
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';

const API_KEY = process.env.FREEPIK_API_KEY!;

/** One Freepik call: JSON or form body, the key header, the JSON answer (throws on 4xx/5xx). */
async function freepik(path: string, init: { method: 'GET' | 'POST'; json?: unknown; form?: Record<string, string>; headers?: Record<string, string> }) {
  const headers: Record<string, string> = { 'x-freepik-api-key': API_KEY, ...init.headers };
  let body: string | undefined;
  if (init.json !== undefined) [headers['content-type'], body] = ['application/json', JSON.stringify(init.json)];
  if (init.form) [headers['content-type'], body] = ['application/x-www-form-urlencoded', new URLSearchParams(init.form).toString()];
  const response = await fetch(\`${BASE}\${path}\`, { method: init.method, headers, body });
  if (!response.ok) throw new Error(\`\${init.method} \${path}: HTTP \${response.status} \${await response.text()}\`);
  return response.json();
}

/** Polls a task's status route every 3 s until it is COMPLETED (returns the task) or FAILED (throws). */
async function waitForTask(statusPath: string, taskId: string, timeoutMs = 10 * 60_000) {
  const path = statusPath.replace('\${taskId}', taskId);
  for (const started = Date.now(); Date.now() - started < timeoutMs; await new Promise((r) => setTimeout(r, 3_000))) {
    const answer = await freepik(path, { method: 'GET' });
    const task = answer.data ?? answer;
    const status = task.status ?? task.task_status;
    if (status === 'COMPLETED') return task;
    if (status === 'FAILED') throw new Error(\`task \${taskId} failed\`);
  }
  throw new Error(\`task \${taskId} did not finish in time\`);
}

/** Checks a webhook's signature (any matching v1 entry) before trusting its body. */
function verifyWebhook(secret: string, headers: Record<string, string>, rawBody: string): boolean {
  const expected = createHmac('sha256', secret).update(\`\${headers['webhook-id']}.\${headers['webhook-timestamp']}.\${rawBody}\`).digest();
  return (headers['webhook-signature'] ?? '').split(' ').some((entry) => {
    const given = Buffer.from(entry.slice(entry.indexOf(',') + 1), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
\`\`\`
`;

export function renderFreepikApiDoc(): string {
  const nodes = listNodes().filter((d) => d.execution.kind === 'http');
  const upload = nodes.find((d) => exec(d).service === 'file-service');
  const freepikNodes = nodes.filter((d) => exec(d).service === 'freepik');
  const out: string[] = [PREFACE];
  if (upload) out.push(uploadSection(upload));
  out.push('## Freepik endpoints', '');
  out.push('| endpoint | node | mode |', '|---|---|---|');
  for (const def of freepikNodes) out.push(`| [${def.title}](#${anchor(def.title)}) | ${code(def.id)} | ${exec(def).mode} |`);
  out.push('');
  for (const category of CATEGORIES) {
    const group = freepikNodes.filter((d) => d.category === category);
    if (!group.length) continue;
    out.push(`## ${CATEGORY_TITLES[category] ?? category}`, '');
    for (const def of group) out.push(nodeSection(def));
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

/** GitHub's heading anchor. */
function anchor(title: string): string {
  return title.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(DOC_PATH, renderFreepikApiDoc());
  console.log(`wrote ${DOC_PATH}`);
}
