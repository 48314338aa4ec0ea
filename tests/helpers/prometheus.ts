/** A strict reader of the Prometheus text exposition format 0.0.4, for tests of GET /metrics. */
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
// A float as Go's ParseFloat reads it (the format's definition), which ignores case in NaN and Inf:
// prom-client writes an empty event-loop histogram's mean as `Nan`.
const VALUE =
  '(?:[-+]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[Nn][Aa][Nn]|[-+]?[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?)';
const HELP_LINE = new RegExp(`^# HELP (${NAME}) (?:[^\\\\\\n]|\\\\[\\\\n])*$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(`^(${NAME})(\\{(?:${LABEL})(?:,${LABEL})*,?\\})? (${VALUE})(?: -?[0-9]+)?$`);

function parseValue(v: string): number {
  if (/^nan$/i.test(v)) return NaN;
  const inf = /^([-+]?)inf(inity)?$/i.exec(v);
  return inf ? (inf[1] === '-' ? -Infinity : Infinity) : Number(v);
}

export interface Exposition {
  /** Family name → its declared type. */
  types: Map<string, string>;
  /** `name{labels}` → value. */
  samples: Map<string, number>;
}

/**
 * Parses the text exposition format 0.0.4 strictly: each line is a HELP, a TYPE, a sample or empty;
 * each family is declared once, before its samples; each series appears once.
 */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples = new Map<string, number>();
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const help = HELP_LINE.exec(line);
    const type = TYPE_LINE.exec(line);
    const sample = SAMPLE_LINE.exec(line);
    if (help) {
      if (helps.has(help[1]!)) throw new Error(`HELP twice: ${line}`);
      helps.add(help[1]!);
    } else if (type) {
      if (types.has(type[1]!)) throw new Error(`family declared twice: ${line}`);
      types.set(type[1]!, type[2]!);
    } else if (sample) {
      const name = sample[1]!;
      const family = [name, name.replace(/_(bucket|sum|count)$/, '')].find((n) => types.has(n));
      if (family === undefined) throw new Error(`sample before its TYPE: ${line}`);
      const key = `${name}${sample[2] ?? ''}`;
      if (samples.has(key)) throw new Error(`series twice: ${line}`);
      samples.set(key, parseValue(sample[3]!));
    } else {
      throw new Error(`not a line of the exposition format: ${JSON.stringify(line)}`);
    }
  }
  return { types, samples };
}
