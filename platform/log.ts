import { pino } from 'pino';

/**
 * Structured logger: JSON lines on stdout (journald on the device), one per module.
 * Call as `log.warn('report failed', { attempt, delayMs, err })`.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(module: string): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

let rootLevel: LogLevel = (globalThis.process?.env?.['GATECAST_LOG_LEVEL'] as LogLevel | undefined) ?? 'info';
let root: pino.Logger | undefined;

/** Sets the level for loggers created afterwards (main.ts calls this once from config). */
export function setLogLevel(level: LogLevel): void {
  rootLevel = level;
  if (root) root.level = level;
}

function pinoRoot(): pino.Logger {
  root ??= pino({ level: rootLevel, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
  return root;
}

function wrap(p: pino.Logger, module: string): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>) => {
      if (fields) p[level](normalise(fields), msg);
      else p[level](msg);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    // A child of the root, not of `p`: pino would repeat the `module` key once per level.
    child: (sub) => wrap(pinoRoot().child({ module: `${module}:${sub}` }), `${module}:${sub}`),
  };
}

// pino serialises errors only under the `err` key; accept `error` too.
function normalise(fields: Record<string, unknown>): Record<string, unknown> {
  if (fields['error'] instanceof Error && !('err' in fields)) {
    const { error, ...rest } = fields;
    return { ...rest, err: error };
  }
  return fields;
}

export function createLogger(module: string): Logger {
  return wrap(pinoRoot().child({ module }), module);
}

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  module: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** In-memory logger for tests: `records` holds everything logged, children included. */
export function memoryLogger(module = 'test'): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const make = (mod: string): Logger => {
    const at =
      (level: LogRecord['level']) =>
      (msg: string, fields: Record<string, unknown> = {}) =>
        records.push({ level, module: mod, msg, fields });
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (m) => make(`${mod}:${m}`),
    };
  };
  return Object.assign(make(module), { records });
}
