import { ERROR_CODES, isPikflowError, type ProblemDetail } from '@pikflow/catalog';
import type { ApiErrorBody } from '@pikflow/pipeline';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/**
 * The one error handler: every failure becomes `{error:{code,message,...}}` (ApiErrorBody).
 * 4xx say exactly what is wrong and where; 5xx say nothing but "Internal error" and the
 * details go to the log, bound to the request id.
 */

/** PikflowError codes whose message is safe and useful even though the status is 5xx. */
const SAFE_5XX = new Set(['unavailable', 'database_locked', 'timeout']);

/** Fastify's own error codes → what we tell the caller. */
const FASTIFY_CODES: Record<string, { status: number; code: string; message?: (e: FastifyError) => string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'invalid_json',
    message: (e) => {
      const detail = e.cause instanceof Error ? e.cause.message : '';
      return `Request body is not valid JSON${detail ? ` (${detail})` : ''}`;
    },
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: () => "Request body is empty but content-type is 'application/json'; send a JSON object" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: (e) => `${e.message}; send application/json` },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: () => 'Request body is too large' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'unsupported_media_type', message: () => 'Upload a file as multipart/form-data (e.g. curl -F file=@photo.jpg)' },
  FST_PARTS_LIMIT: { status: 413, code: 'payload_too_large', message: () => 'Too many parts in the upload' },
  FST_FILES_LIMIT: { status: 413, code: 'payload_too_large', message: () => 'Upload one file per request' },
  FST_FIELDS_LIMIT: { status: 413, code: 'payload_too_large', message: () => 'Too many fields in the upload' },
  FST_PROTO_VIOLATION: { status: 400, code: 'invalid_request' },
  // Router errors (frameworkErrors): their own messages echo the whole URL.
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'invalid_request', message: () => 'A path parameter is too long (ids are UUIDs, names at most 100 characters)' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_request', message: () => 'The URL is not valid (bad percent-encoding)' },
};

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`;
}

export function errorBody(code: string, message: string, extra: Partial<ApiErrorBody['error']> = {}): ApiErrorBody {
  return { error: { code, message, ...extra } };
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** `/inputs/photo` in the body → `inputs.photo`; the whole body → `body`. */
function fieldOf(context: string | undefined, issue: ValidationIssue): string {
  const path = (issue.instancePath ?? '').split('/').filter(Boolean).join('.');
  const keys = issue.keyword === 'unrecognized_keys' && Array.isArray(issue.params?.keys) ? (issue.params.keys as string[]) : [];
  const where = context === 'body' ? '' : context === 'querystring' ? 'query' : (context ?? '');
  const base = [where, path].filter(Boolean).join('.');
  if (keys.length) return keys.map((k) => [base, k].filter(Boolean).join('.')).join(', ');
  return base || (context === 'body' ? 'body' : where);
}

/** zod's "Invalid input: expected string, received undefined" says, in plain words, "is required". */
function readable(message: string): string {
  const missing = /^Invalid input: expected (\w+), received undefined$/.exec(message);
  if (missing) return `is required (${missing[1]})`;
  return message.replace(/^Invalid input: /, '');
}

function validationBody(error: FastifyError & { validation: ValidationIssue[] }): ApiErrorBody {
  const context = error.validationContext;
  const problems: ProblemDetail[] = error.validation.map((issue) => ({
    field: fieldOf(context, issue),
    message: readable(issue.message ?? 'invalid value'),
  }));
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  const first = problems[0];
  return errorBody('invalid_request', `Invalid request — ${summary}`, {
    ...(problems.length === 1 && first?.field ? { field: first.field } : {}),
    problems,
  });
}

function send(reply: FastifyReply, status: number, body: ApiErrorBody) {
  // The route's response serializer must not touch error bodies.
  return reply.code(status).type('application/json; charset=utf-8').serializer(JSON.stringify).send(body);
}

export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (isPikflowError(error)) {
    const status = ERROR_CODES[error.code] ?? 500;
    if (status >= 500 && !SAFE_5XX.has(error.code)) {
      request.log.error({ err: error }, 'request failed');
      return send(reply, 500, errorBody('internal', 'Internal error'));
    }
    if (status >= 500) request.log.warn({ err: error }, 'request failed');
    else request.log.info({ code: error.code, nodeId: error.nodeId, field: error.field }, error.message);
    if (error.code === 'unauthorized' || error.code === 'webhook_rejected') reply.header('www-authenticate', 'Bearer');
    return send(reply, status, { error: error.toJSON() });
  }

  const fe = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fe) || (Array.isArray(fe.validation) && fe.validation.length > 0)) {
    const body = validationBody(fe as FastifyError & { validation: ValidationIssue[] });
    request.log.info({ problems: body.error.problems }, 'invalid request');
    return send(reply, 400, body);
  }

  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions.bodyLimit;
    request.log.info({ code: fe.code, limit }, fe.message);
    return send(reply, 413, errorBody('payload_too_large', `Request body is too large: this route accepts at most ${limit ? formatBytes(limit) : 'its limit'}`, { field: 'body' }));
  }
  if (known) {
    request.log.info({ code: fe.code }, fe.message.slice(0, 300));
    return send(reply, known.status, errorBody(known.code, known.message ? known.message(fe) : fe.message));
  }

  // Other deliberate 4xx from Fastify or its plugins: their message is meant for the caller.
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    request.log.info({ code: fe.code }, fe.message);
    return send(reply, status, errorBody(status === 404 ? 'not_found' : 'invalid_request', fe.message));
  }

  request.log.error({ err: error }, 'request failed');
  return send(reply, 500, errorBody('internal', 'Internal error'));
}

export default fp(
  async function errorHandlerPlugin(app: FastifyInstance) {
    app.setErrorHandler(handleError);
  },
  { name: 'pikflow-error-handler' },
);
