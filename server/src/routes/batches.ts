import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import { PikflowError } from '@pikflow/catalog';
import { extensionOf, type BatchItemInput } from '@pikflow/engine';
import { validatePipeline, type AssetRef, type PipelineDocument } from '@pikflow/pipeline';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, idParams } from '../schemas.ts';
import { eachZipImage, isZip, readCapped, type ZipLimits } from '../services/zip-input.ts';
import { zipStream, type ZipEntry } from '../services/zip-stream.ts';

/** The most items one batch may have (each is a row, not memory: the admission loop starts them). */
const MAX_ITEMS = 100_000;

const batchViewSchema = z.object({
  id: z.string(),
  pipelineId: z.string().optional(),
  status: z.enum(['running', 'paused', 'cancelled', 'completed']),
  total: z.number(),
  maxInFlight: z.number(),
  counts: z.object({ pending: z.number(), queued: z.number(), running: z.number(), succeeded: z.number(), failed: z.number(), cancelled: z.number(), invalid: z.number() }),
  itemsPerSecond: z.number().optional(),
  etaSeconds: z.number().optional(),
  error: z.object({ code: z.string(), message: z.string(), nodeId: z.string().optional() }).optional(),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
});

const jsonBody = z
  .strictObject({
    items: z
      .array(z.strictObject({ inputs: z.record(z.string(), z.unknown()), label: z.string().max(300).optional() }))
      .max(MAX_ITEMS)
      .optional()
      .describe('One inputs object per item (values per input name, as for a single run)'),
    urls: z.array(z.string().max(4096)).max(MAX_ITEMS).optional().describe('Image URLs, one item each (the same URL rules as single runs)'),
    input: z.string().optional().describe('The image input the URLs go to (default: the pipeline\'s only image input)'),
    version: z.number().int().min(1).optional(),
    maxInFlight: z.number().int().min(1).max(1_000).optional().describe('Items whose runs may be unfinished at once (default 20)'),
    cache: z.enum(['use', 'refresh', 'off']).optional().describe("The result cache for every item's run (default use: identical items share their results)"),
    onQuotaExhausted: z.enum(['wait', 'fail']).optional().describe('At a used-up daily Freepik quota: wait (default) for the next UTC day, or fail: the node fails with quota_exhausted (service, limit, reset time), and a run or batch that does not fit in what is left of today is refused (429) before it starts'),
  })
  .refine((b) => (b.items ? 1 : 0) + (b.urls ? 1 : 0) === 1, { message: 'send either items or urls' });

const options = z.strictObject({
  input: z.string().optional(),
  version: z.coerce.number().int().min(1).optional(),
  maxInFlight: z.coerce.number().int().min(1).max(1_000).optional(),
  cache: z.enum(['use', 'refresh', 'off']).optional(),
  onQuotaExhausted: z.enum(['wait', 'fail']).optional(),
});

function invalid(error: z.ZodError): PikflowError {
  const problems = error.issues.slice(0, 20).map((i) => ({ field: i.path.join('.') || 'body', message: `${i.path.join('.') || 'body'}: ${i.message}` }));
  return new PikflowError('invalid_input', problems.map((p) => p.message).join('; '), { field: problems[0]?.field, problems });
}

/** The image input URLs and files go to: the one named, or the pipeline's only image input. */
function imageInput(document: PipelineDocument, named: string | undefined): string {
  const images = validatePipeline(document).inputs.filter((s) => s.type === 'image');
  if (named) {
    if (!images.some((s) => s.name === named)) throw new PikflowError('invalid_input', `The pipeline has no image input "${named}" (it has: ${images.map((s) => s.name).join(', ') || 'none'})`, { field: 'input' });
    return named;
  }
  if (images.length !== 1) throw new PikflowError('invalid_input', `Name the image input the images go to ("input"): the pipeline has ${images.length}`, { field: 'input' });
  return images[0]!.name;
}

/** A CSV of image URLs: the first column of each line; a header line (not a URL) is skipped. */
function urlsFromCsv(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.split(',')[0]!.trim().replace(/^"|"$/g, '')).filter(Boolean);
  return lines.length && !/^[a-z][a-z0-9+.-]*:/i.test(lines[0]!) ? lines.slice(1) : lines;
}

const isAssetRef = (v: unknown): v is AssetRef => typeof v === 'object' && v !== null && typeof (v as AssetRef).assetId === 'string';
/** A label as a file name: its base (no folder, no extension), safe characters only. */
const fileBase = (label: string) => (label.split(/[\\/]/).pop() ?? label).replace(/\.[a-z0-9]{1,5}$/i, '').replace(/[^\w.-]+/g, '_').slice(0, 100) || 'item';
const csvCell = (v: unknown) => `"${String(v ?? '').replace(/"/g, '""')}"`;

/**
 * Batch runs (engine batches.ts): many input sets of one pipeline, each an ordinary run,
 * started by the admission loop as capacity frees.
 */
export const batchRoutes: FastifyPluginAsyncZod = async (app) => {
  const { config } = app.services;
  // A file part may be a ZIP (up to MAX_ZIP_MB); image parts are held to MAX_UPLOAD_MB as they stream (readCapped).
  await app.register(multipart, { limits: { fileSize: Math.max(config.limits.uploadBytes, config.limits.zipBytes), files: 10_000, fields: 10 } });
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: config.limits.bodyBytes }, (_request, body, done) => done(null, body));
  // A ZIP body stays a stream: eachZipImage spools it to a temporary file under its own cap.
  app.addContentTypeParser(['application/zip', 'application/x-zip-compressed'], (_request, payload, done) => done(null, payload));
  const zipLimits: ZipLimits = {
    maxArchiveBytes: config.limits.zipBytes,
    maxEntries: MAX_ITEMS,
    maxEntryBytes: config.limits.uploadBytes,
    maxTotalBytes: config.limits.zipUncompressedBytes,
  };

  app.post(
    '/pipelines/:id/batches',
    {
      schema: {
        tags: ['batches'],
        summary: 'Start a batch: many runs of a saved pipeline',
        description:
          'Four ways in: JSON {items:[{inputs,label?}]} or {urls:[…], input?}; text/csv of image URLs (first column; ?input=&maxInFlight=); ' +
          'multipart/form-data with many image files and/or .zip files (fields input, maxInFlight, version, cache, onQuotaExhausted); an application/zip body of images ' +
          '(every image an item labelled with its path in the archive; directories, __MACOSX and dotfiles skipped; a non-image is refused naming it; ' +
          'entry count, per-entry and total uncompressed size and compression ratio are capped: 413). Answers 202 {batchId, estimate} at once; ' +
          'refused before any request when an item is invalid, the plan lacks a service, or a budget (402) would be exceeded.',
        params: idParams,
        querystring: options,
        response: {
          202: z.object({
            batchId: z.string(),
            estimate: z.unknown(),
            warning: z.string().optional().describe('Set when the batch cannot finish today: which services are short, by how much, and when they reset'),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { engine, pipelines } = app.services;
      let items: BatchItemInput[];
      let settings = request.query;
      let urls: string[] | undefined;
      let files: { assetId: string; label: string }[] | undefined;
      const storeImage = async (bytes: Buffer, label: string) => {
        try {
          const asset = await engine.assets.putUpload(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), label.split('/').pop() || undefined);
          files!.push({ assetId: asset.assetId, label });
        } catch (cause) {
          if (cause instanceof PikflowError) throw new PikflowError(cause.code, `${label}: ${cause.message}`, { field: 'file', cause });
          throw cause;
        }
      };
      const storeZip = (source: Readable, label: string) =>
        eachZipImage(source, label, zipLimits, async (image) => {
          if (files!.length >= MAX_ITEMS) throw new PikflowError('payload_too_large', `At most ${MAX_ITEMS} items per batch`, { field: 'file' });
          await storeImage(image.bytes, image.name);
        });
      if (request.isMultipart()) {
        files = [];
        const fields: Record<string, string> = {};
        for await (const part of request.parts()) {
          if (part.type === 'field') {
            fields[part.fieldname] = String(part.value);
            continue;
          }
          const name = part.filename || `item-${files.length + 1}`;
          if (isZip(part.mimetype, part.filename)) {
            await storeZip(part.file, name);
            continue;
          }
          await storeImage(await readCapped(part.file, name, config.limits.uploadBytes), name);
        }
        const parsed = options.safeParse(fields);
        if (!parsed.success) throw invalid(parsed.error);
        settings = { ...settings, ...parsed.data };
        if (!files.length) throw new PikflowError('invalid_input', 'The upload has no image files', { field: 'file' });
      } else if (isZip(request.headers['content-type']?.split(';')[0]?.trim())) {
        files = [];
        await storeZip(request.body as Readable, 'The ZIP archive');
      } else if (typeof request.body === 'string') {
        urls = urlsFromCsv(request.body);
        if (urls.length > MAX_ITEMS) throw new PikflowError('invalid_input', `At most ${MAX_ITEMS} items per batch`, { field: 'body' });
      } else {
        const parsed = jsonBody.safeParse(request.body);
        if (!parsed.success) throw invalid(parsed.error);
        const { items: given, urls: listed, ...rest } = parsed.data;
        settings = { ...settings, ...rest };
        urls = listed;
        items = given ?? [];
      }
      const stored = await pipelines.getVersion(request.params.id, settings.version);
      if (urls) {
        const input = imageInput(stored.document, settings.input);
        items = urls.map((url) => ({ inputs: { [input]: url }, label: url }));
      } else if (files) {
        const input = imageInput(stored.document, settings.input);
        items = files.map((f) => ({ inputs: { [input]: f.assetId }, label: f.label }));
      }
      const { batchId, estimate, warning } = await engine.createBatch({
        pipelineId: stored.pipelineId,
        pipelineVersionId: stored.versionId,
        document: stored.document,
        items: items!,
        ...(settings.maxInFlight ? { maxInFlight: settings.maxInFlight } : {}),
        ...(settings.cache ? { cacheMode: settings.cache } : {}),
        ...(settings.onQuotaExhausted ? { onQuotaExhausted: settings.onQuotaExhausted } : {}),
      });
      request.log.info({ batchId, items: items!.length, pipelineId: stored.pipelineId, ...(warning ? { warning } : {}) }, 'batch started');
      return reply.code(202).header('location', `/api/batches/${batchId}`).send({ batchId, estimate, ...(warning ? { warning } : {}) });
    },
  );

  const batchOr404 = async (id: string) => {
    const view = await app.services.engine.getBatch(id);
    if (!view) throw new PikflowError('not_found', `Batch ${id} does not exist`, { field: 'id' });
    return view;
  };

  app.get(
    '/batches',
    {
      schema: {
        tags: ['batches'],
        summary: 'The newest batches, of one pipeline or of all (started from the editor or over REST)',
        querystring: z.strictObject({ pipelineId: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: { 200: z.object({ batches: z.array(batchViewSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ batches: await app.services.engine.listBatches(request.query) }),
  );

  app.get(
    '/batches/:id',
    {
      schema: { tags: ['batches'], summary: 'A batch: items by status, throughput and ETA', params: idParams, response: { 200: batchViewSchema, ...errorResponses } },
    },
    async (request) => batchOr404(request.params.id),
  );

  app.get(
    '/batches/:id/items',
    {
      schema: {
        tags: ['batches'],
        summary: "A batch's items in order, a page at a time: label, status, run id, error",
        params: idParams,
        querystring: z.strictObject({ after: z.coerce.number().int().min(-1).default(-1), limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: {
          200: z.object({
            items: z.array(z.object({ idx: z.number(), label: z.string(), status: z.string(), runId: z.string().optional(), error: z.unknown().optional() })),
            nextAfter: z.number().optional(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await batchOr404(request.params.id);
      const items = await app.services.engine.batchItems(request.params.id, request.query.after, request.query.limit);
      return { items, ...(items.length === request.query.limit ? { nextAfter: items[items.length - 1]!.idx } : {}) };
    },
  );

  app.get(
    '/batches/:id/events',
    {
      schema: {
        tags: ['batches'],
        summary: "A batch's progress as Server-Sent Events: `batch.progress` with the batch view whenever it changes, `batch.finished` at the end",
        params: idParams,
        response: { 200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const batchId = request.params.id;
      let last = JSON.stringify(await batchOr404(batchId));
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      let seq = 0;
      let closed = false;
      const send = (type: string, view: string) => res.write(`id: ${++seq}\nevent: ${type}\ndata: {"type":"${type}","batch":${view}}\n\n`);
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        if (!res.writableEnded) res.end();
      };
      const ended = (view: string) => /"status":"(completed|cancelled)"/.test(view);
      send(ended(last) ? 'batch.finished' : 'batch.progress', last);
      if (ended(last)) return close();
      // The batch's state is the database's (items are admitted by any worker): it is read once a second.
      const timer = setInterval(async () => {
        const view = await app.services.engine.getBatch(batchId).catch(() => null);
        if (closed || !view) return;
        const text = JSON.stringify(view);
        if (text === last) return void res.write(': heartbeat\n\n');
        last = text;
        send(ended(text) ? 'batch.finished' : 'batch.progress', text);
        if (ended(text)) close();
      }, 1_000);
      timer.unref();
      request.raw.on('close', close);
      res.on('error', close);
    },
  );

  app.get(
    '/batches/:id/outputs.zip',
    {
      schema: {
        tags: ['batches'],
        summary: "Every item's output files as one ZIP, streamed: <item label>_<output>.<ext>, plus manifest.csv (every item: status, outputs, error)",
        params: idParams,
        response: { 200: { description: 'A ZIP archive', content: { 'application/zip': { schema: z.string() } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const batchId = request.params.id;
      await batchOr404(batchId);
      const { engine } = app.services;
      async function* entries(): AsyncGenerator<ZipEntry> {
        const names = new Set<string>();
        const unique = (name: string, idx: number) => {
          const chosen = names.has(name) ? name.replace(/(\.[^.]+)$/, `_${idx + 1}$1`) : name;
          names.add(chosen);
          return chosen;
        };
        const manifest = ['item,label,status,output,value,error'];
        for (let after = -1; ; ) {
          const page = await engine.batchItems(batchId, after, 100);
          for (const item of page) {
            after = item.idx;
            const run = item.runId && item.status === 'succeeded' ? await engine.getRun(item.runId) : null;
            const error = (item.error as { message?: string } | undefined)?.message ?? '';
            if (!run?.outputs) manifest.push([item.idx + 1, item.label, item.status, '', '', error].map(csvCell).join(','));
            for (const [port, value] of Object.entries(run?.outputs ?? {})) {
              const values = Array.isArray(value) ? value : [value];
              for (const [k, v] of values.entries()) {
                const asset = isAssetRef(v) ? await engine.assets.get(v.assetId) : null;
                if (!asset) {
                  manifest.push([item.idx + 1, item.label, item.status, port, typeof v === 'string' ? v : JSON.stringify(v), ''].map(csvCell).join(','));
                  continue;
                }
                const name = unique(`${fileBase(item.label)}_${port}${values.length > 1 ? `_${k + 1}` : ''}.${extensionOf(asset.mime)}`, item.idx);
                manifest.push([item.idx + 1, item.label, item.status, port, name, ''].map(csvCell).join(','));
                yield { name, data: createReadStream(engine.assets.pathOf(asset)) };
              }
            }
          }
          if (page.length < 100) break;
        }
        yield { name: 'manifest.csv', data: Buffer.from(`${manifest.join('\n')}\n`) };
      }
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="batch-${batchId}.zip"`)
        .send(Readable.from(zipStream(entries())) as unknown as string); // a stream: Fastify pipes it, no serializer
    },
  );

  for (const action of ['pause', 'resume', 'cancel', 'retry-failed'] as const) {
    app.post(
      `/batches/:id/${action}`,
      {
        schema: {
          tags: ['batches'],
          summary:
            action === 'pause'
              ? 'Pause: no new items start; runs in flight finish'
              : action === 'resume'
                ? 'Resume a paused batch'
                : action === 'cancel'
                  ? 'Cancel: no new items start and unfinished runs are cancelled'
                  : 'Retry failed items: items whose runs failed or were cancelled start again (new runs), and the batch admits again',
          params: idParams,
          response: { 200: batchViewSchema, ...errorResponses },
        },
      },
      async (request) => {
        await batchOr404(request.params.id);
        const view = await app.services.engine.controlBatch(request.params.id, action);
        request.log.info({ batchId: request.params.id, action }, 'batch control');
        return view;
      },
    );
  }
};
