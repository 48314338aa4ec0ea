import type { z } from 'zod';
import type { Problem } from './errors.js';

/** Turns zod issues into the project's `Problem` list (dotted paths, plain messages). */
export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.'),
    message: issue.message,
  }));
}

/**
 * Parses `raw` with `schema`; on failure throws the error built by `makeError` from every problem.
 * The result is deep-frozen so that a parsed config or manifest cannot be changed behind our back.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  makeError: (problems: Problem[]) => Error,
): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw makeError(zodProblems(result.error));
  return deepFreeze(result.data);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
