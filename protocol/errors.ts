/**
 * Every error the project raises on purpose carries a stable `code`, so logs, CLI exit messages and
 * the server's replies can name the cause without parsing text.
 */
export abstract class GatecastError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A class a base of GatecastError's (itself, or ProblemsError) may be extended from. */
// A mixin's base must be constructible with `...args: any[]`; the class built keeps the base's own.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorBase = abstract new (...args: any[]) => GatecastError;

/**
 * The base class of an error with the stable code `code` (its literal type kept), extending `base`:
 * `export class DraftNotFoundError extends coded('DRAFT_NOT_FOUND') {}`. The class declared is a
 * real class (instanceof, its own `name`) with the constructor of `base`; it may add fields,
 * a constructor building its message, `details()`, `retryAfterMs` or `messageIn()`.
 */
export function coded<C extends string, B extends ErrorBase = typeof GatecastError>(
  code: C,
  base: B = GatecastError as unknown as B,
) {
  abstract class Coded extends base {
    readonly code: C = code;
  }
  return Coded;
}

export function isGatecastError(e: unknown): e is GatecastError {
  return e instanceof GatecastError;
}

/** One problem found while validating input: where it is and what rule it breaks. */
export interface Problem {
  path: string;
  message: string;
}

/** An error that lists every problem found (each with where and which rule), not just the first. */
export abstract class ProblemsError extends GatecastError {
  constructor(
    message: string,
    readonly problems: Problem[] = [],
    options?: { cause?: unknown },
  ) {
    super(problems.length ? `${message}:\n${formatProblems(problems)}` : message, options);
  }
}

/** A config file or value is wrong; `problems` lists every one found, not just the first. */
export class ConfigError extends coded('CONFIG_INVALID', ProblemsError) {}
export const isConfigError = (e: unknown): e is ConfigError => e instanceof ConfigError;

/** Content (bundle manifest, playlist, schedule) breaks the content model. */
export class ContentError extends coded('CONTENT_INVALID', ProblemsError) {}
export const isContentError = (e: unknown): e is ContentError => e instanceof ContentError;

/** A message on the device<->server link is malformed or not allowed. */
export class ProtocolError extends coded('PROTOCOL_INVALID', ProblemsError) {}
export const isProtocolError = (e: unknown): e is ProtocolError => e instanceof ProtocolError;

export function formatProblems(problems: Problem[]): string {
  return problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n');
}
