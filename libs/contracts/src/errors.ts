import { z } from 'zod';

/** Every error that crosses a service boundary carries one of these codes. */
export const ERROR_CODES = [
  'INVALID',
  'NOT_FOUND',
  'CONFLICT',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'LIMIT_EXCEEDED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export const ErrorCodeSchema = z.enum(ERROR_CODES).meta({ id: 'ErrorCode' });
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** HTTP status for each code; only edges (gateway, internal HTTP ports) use it. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  FORBIDDEN: 403,
  UNAUTHENTICATED: 401,
  LIMIT_EXCEEDED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The wire shape of an error: `{ code, message, details? }`. */
export const WireErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  details: z.unknown().optional(),
});
export type WireError = z.infer<typeof WireErrorSchema>;

/** One problem with a field of some input, as listed in `details.problems`. */
export interface Problem {
  /** Dotted path of the field, e.g. `Runtime.MemoryLimit` or `Env[1].Name`. */
  path: string;
  message: string;
}

/** A domain error. Domain code throws these; only edges map them to wire or HTTP. */
export class WharfError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'WharfError';
  }

  toWire(): WireError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromWire(e: WireError): WharfError {
    return new WharfError(e.code, e.message, e.details);
  }

  static is(e: unknown, code?: ErrorCode): e is WharfError {
    return e instanceof WharfError && (code === undefined || e.code === code);
  }
}

export const invalid = (message: string, details?: unknown) => new WharfError('INVALID', message, details);
export const notFound = (message: string, details?: unknown) => new WharfError('NOT_FOUND', message, details);
export const conflict = (message: string, details?: unknown) => new WharfError('CONFLICT', message, details);
export const forbidden = (message: string, details?: unknown) => new WharfError('FORBIDDEN', message, details);
export const unauthenticated = (message: string, details?: unknown) =>
  new WharfError('UNAUTHENTICATED', message, details);
export const limitExceeded = (message: string, details?: unknown) =>
  new WharfError('LIMIT_EXCEEDED', message, details);
export const unavailable = (message: string, details?: unknown) => new WharfError('UNAVAILABLE', message, details);
export const internal = (message: string, details?: unknown) => new WharfError('INTERNAL', message, details);

/** Turns zod issues into `Problem`s with dotted field paths. */
export function zodProblems(error: z.ZodError, prefix = ''): Problem[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
      .filter(Boolean)
      .join('.')
      .replace(/\.\[/g, '['),
    message: i.message,
  }));
}

/** An INVALID error listing every problem: "what, where, how to fix". */
export function invalidInput(what: string, problems: Problem[]): WharfError {
  const lines = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
  return invalid(`${what}: ${lines.join('; ')}`, { problems });
}
