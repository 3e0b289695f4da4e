import { PikflowError } from '@pikflow/catalog';
import { getTemplate, TEMPLATES } from '@pikflow/pipeline';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createdPipelineSchema, errorResponses, pipelineNameSchema, templateViewSchema } from '../schemas.ts';
import { checkDocument } from '../services/validation.ts';

export const templateRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/templates',
    {
      schema: {
        tags: ['templates'],
        summary: 'Ready-made pipelines (Photo restoration, …)',
        response: { 200: z.object({ templates: z.array(templateViewSchema) }), ...errorResponses },
      },
    },
    async () => ({ templates: TEMPLATES }),
  );

  app.post(
    '/templates/:id/pipelines',
    {
      schema: {
        tags: ['templates'],
        summary: 'Create a pipeline from a template in one call',
        params: z.object({ id: z.string().min(1).max(100) }),
        body: z.strictObject({ name: pipelineNameSchema.optional() }).nullish(),
        response: { 201: createdPipelineSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const template = getTemplate(request.params.id);
      if (!template) {
        throw new PikflowError(
          'not_found',
          `There is no template "${request.params.id}" (templates: ${TEMPLATES.map((t) => t.id).join(', ')})`,
          { field: 'id' },
        );
      }
      const { document } = checkDocument(template.document);
      const created = await app.services.pipelines.create(request.body?.name ?? template.name, document);
      request.log.info({ pipelineId: created.id, template: template.id }, 'pipeline created from template');
      return reply.code(201).send(created);
    },
  );
};
