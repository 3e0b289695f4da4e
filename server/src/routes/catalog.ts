import { serializeCatalog, type CatalogNode } from '@pikflow/catalog';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

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
