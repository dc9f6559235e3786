// Errors of the admin API: each becomes `{ error: { code, message, hint } }`
// with an HTTP status. Handlers throw ApiError for bad input; anything else is
// a bug and is answered 500 with a generic message (the detail goes to the log).
import { RampartError } from '../core/errors.js';

export class ApiError extends RampartError {
  readonly status: number;
  /** Extra structured detail, e.g. the list of config issues of a refused reload. */
  readonly details: unknown;
  constructor(status: number, code: string, message: string, hint = '', details?: unknown) {
    super(code, message, status >= 500 ? 'internal' : 'operator', hint);
    this.status = status;
    this.details = details;
  }
}

export function errorJson(
  code: string,
  message: string,
  hint = '',
  details?: unknown,
): { error: { code: string; message: string; hint: string; details?: unknown } } {
  return { error: details === undefined ? { code, message, hint } : { code, message, hint, details } };
}

export const badRequest = (code: string, message: string, hint = '') => new ApiError(400, code, message, hint);
