/** An HTTP answer in Freepik's own shape, thrown anywhere in a handler. */
export class SimHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${statusCode}`);
    this.name = 'SimHttpError';
  }
}

export interface InvalidParam {
  name: string;
  reason: string;
}

export const VALIDATION_MESSAGE = "Your request parameters didn't validate.";

export function invalidParams(params: InvalidParam[]): SimHttpError {
  return new SimHttpError(400, { message: VALIDATION_MESSAGE, invalid_params: params });
}

export const notFound = () => new SimHttpError(404, { message: 'Not found' });

/** Thrown by an endpoint's `produce` to end the task FAILED (Freepik's FAILED carries no reason). */
export class TaskFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskFailure';
  }
}
