/**
 * Typed errors shared by every package. The server maps `code` to an HTTP status
 * in one error handler (HTTP_STATUS below) and hides the details of 5xx.
 */
export const ERROR_CODES = {
  validation_failed: 400,
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  /** An Idempotency-Key sent again with a different request body. */
  idempotency_key_reused: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  webhook_rejected: 401,
  rate_limited: 429,
  /** A Freepik daily quota is used up and the run or batch asked to fail rather than wait for the next day (onQuotaExhausted 'fail'). */
  quota_exhausted: 429,
  /** A run or batch would exceed a configured budget (per run, per batch, per day): refused before any request. */
  budget_exceeded: 402,
  /** The Freepik plan does not include the service (its rate-limit table says N/A). */
  quota_unavailable: 403,
  // Failures of a run's node; they surface in run views, rarely as HTTP statuses.
  upstream_rejected: 502,
  upstream_error: 502,
  task_failed: 502,
  ambiguous_submit: 502,
  assets_unreachable: 502,
  timeout: 504,
  cancelled: 409,
  unavailable: 503,
  database_locked: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ProblemDetail {
  nodeId?: string;
  edgeId?: string;
  field?: string;
  message: string;
  code?: string;
}

export class PikflowError extends Error {
  readonly code: ErrorCode;
  readonly nodeId?: string;
  readonly field?: string;
  /** Individual problems (every validation problem at once). */
  readonly problems?: ProblemDetail[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; nodeId?: string; field?: string; problems?: ProblemDetail[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PikflowError';
    this.code = code;
    this.nodeId = options.nodeId;
    this.field = options.field;
    this.problems = options.problems;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }

  toJSON() {
    return {
      code: this.code,
      message: this.message,
      ...(this.nodeId ? { nodeId: this.nodeId } : {}),
      ...(this.field ? { field: this.field } : {}),
      ...(this.problems ? { problems: this.problems } : {}),
    };
  }
}

export function isPikflowError(e: unknown): e is PikflowError {
  return e instanceof PikflowError;
}
