/**
 * docs/freepik-api.md, the API document seed 003 asks for, is generated from the catalog
 * declarations and the seed examples (scripts/gen-freepik-api-doc.ts): the committed file is
 * what the script writes today, and it covers the upload service and every catalog endpoint
 * with its request, answer, polling or webhook, and copyable curl and TypeScript examples.
 * And docs/catalog.md lists the undocumented guesses with how each is handled.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listNodes, type HttpExecution } from '@pikflow/catalog';
import { DOC_PATH, renderFreepikApiDoc } from '../scripts/gen-freepik-api-doc.ts';

const committed = readFileSync(DOC_PATH, 'utf8');
const httpNodes = listNodes().filter((d) => d.execution.kind === 'http');

/** The part of the document about one node: from the line naming it to the next heading. */
function sectionOf(nodeId: string): string {
  const start = committed.indexOf(`Node \`${nodeId}\`.`);
  expect(start, `docs/freepik-api.md has a section for ${nodeId}`).toBeGreaterThan(0);
  const next = committed.slice(start).search(/\n##+ /);
  return committed.slice(start, next < 0 ? undefined : start + next);
}

describe('docs/freepik-api.md', () => {
  it('is what scripts/gen-freepik-api-doc.ts writes (run `npm run gen:api-doc` after changing a node)', () => {
    expect(committed === renderFreepikApiDoc(), 'docs/freepik-api.md is out of date: run npm run gen:api-doc').toBe(true);
  });

  it.each(httpNodes.map((d) => [d.id, d] as const))('covers %s: request, fields, answer, polling or webhook, curl and TypeScript', (id, def) => {
    const section = sectionOf(id);
    const execution = def.execution as HttpExecution<unknown>;
    expect(section).toMatch(/\*\*Request:\*\* `(GET|POST) \//);
    expect(section).toContain('```sh\ncurl --request');
    expect(section).toContain('```ts\n');
    // Every declared param appears in the fields table.
    for (const field of Object.keys(def.params.shape)) expect(section, `${id}: ${field}`).toContain(`| \`${field}`);
    // URL vs base64, as the ports declare.
    for (const port of def.inputs.filter((p) => p.accepts)) expect(section, `${id}: ${port.name}`).toMatch(new RegExp(`\\| \`${port.name}\` \\|`));
    if (execution.mode === 'async') expect(section).toContain(`Poll \`GET ${execution.statusPath!('{task-id}')}\` every 2–5 s`);
    if (execution.mode === 'webhook-only') expect(section).toContain('webhook only');
    if (execution.maxConcurrentTasks) expect(section).toContain(`At most ${execution.maxConcurrentTasks} unfinished tasks per API key`);
    if (execution.service === 'freepik') expect(section).toContain('**Answer:**');
  });

  it('explains the upload service of seed 003: multipart id + image, the undocumented answer and how its URL is read', () => {
    const section = sectionOf('storage.file-upload');
    expect(section).toContain('POST /api/v1/file/uploads');
    expect(section).toContain("--form 'image=@photo.jpg'");
    expect(section).toMatch(/relative path is refused/);
  });

  it('never holds an API key', () => {
    expect(committed).not.toMatch(/FPSX[0-9a-f]{20,}/i);
    expect(committed).toContain("x-freepik-api-key: <api-key>");
  });
});

describe('docs/catalog.md', () => {
  const catalogDoc = readFileSync(new URL('../docs/catalog.md', import.meta.url), 'utf8');

  it('lists the undocumented guesses with how each is handled (Precision V1 status route, the upload answer, …)', () => {
    const section = catalogDoc.slice(catalogDoc.indexOf('## Undocumented guesses'));
    expect(section.length).toBeGreaterThan(100);
    expect(section).toContain('Precision V1\'s status route');
    expect(section).toContain("The upload service's answer");
    expect(section).toMatch(/relative path.*fails the node/s);
  });
});
