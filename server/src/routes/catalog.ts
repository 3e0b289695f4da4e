import { serializeCatalog, type CatalogNode } from '@pikflow/catalog';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The documented limits on each image a port takes (checked at trigger time; see InputPort.imageLimits). */
const imageLimitsSchema = z
  .object({
    minWidth: z.number().optional(),
    minHeight: z.number().optional(),
    maxWidth: z.number().optional(),
    maxHeight: z.number().optional(),
    minAspect: z.number().optional().describe('Narrowest width ÷ height'),
    maxAspect: z.number().optional().describe('Widest width ÷ height'),
    maxBytes: z.number().optional(),
    maxMegapixels: z.number().optional(),
    maxOutputMegapixels: z.object({ megapixels: z.number(), scaleParam: z.string() }).optional().describe('Largest result: input pixels × scale²'),
    formats: z.array(z.enum(['image/jpeg', 'image/png', 'image/webp', 'image/gif'])).optional(),
  })
  .meta({ id: 'ImageLimits' });

const portSchema = z
  .object({
    name: z.string(),
    type: z.string(),
    label: z.string().optional(),
    description: z.string().optional(),
    required: z.boolean().optional(),
    accepts: z.enum(['url', 'base64', 'both', 'file']).optional(),
    maxItems: z.number().optional(),
    minItems: z.number().optional(),
    imageLimits: imageLimitsSchema.optional(),
  })
  .meta({ id: 'Port' });

export const catalogNodeSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    category: z.string(),
    description: z.string(),
    inputs: z.array(portSchema),
    outputs: z.array(portSchema),
    paramsSchema: z.record(z.string(), z.unknown()).describe('JSON Schema (draft 2020-12) of the params'),
    defaults: z.record(z.string(), z.unknown()),
    mode: z.enum(['input', 'output', 'async', 'sync', 'webhook-only']),
    summaryParams: z.array(z.string()),
    docsUrl: z.string().optional(),
  })
  .meta({ id: 'CatalogNode' });

export const catalogRoutes: FastifyPluginAsyncZod = async (app) => {
  // The catalog is code: serialise it once.
  let cached: CatalogNode[] | undefined;
  app.get(
    '/catalog',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Every node type: ports, JSON-Schema params and defaults (what the editor renders)',
        response: { 200: z.array(catalogNodeSchema) },
      },
    },
    async () => (cached ??= serializeCatalog()),
  );
};
