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
export class ConfigError extends ProblemsError {
  readonly code = 'CONFIG_INVALID';
}
export const isConfigError = (e: unknown): e is ConfigError => e instanceof ConfigError;

/** Content (bundle manifest, playlist, schedule) breaks the content model. */
export class ContentError extends ProblemsError {
  readonly code = 'CONTENT_INVALID';
}
export const isContentError = (e: unknown): e is ContentError => e instanceof ContentError;

/** A message on the device<->server link is malformed or not allowed. */
export class ProtocolError extends ProblemsError {
  readonly code = 'PROTOCOL_INVALID';
}
export const isProtocolError = (e: unknown): e is ProtocolError => e instanceof ProtocolError;

export function formatProblems(problems: Problem[]): string {
  return problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n');
}
