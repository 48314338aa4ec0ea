/** Helpers shared by the benchmarks: medians and the one result line each benchmark ends with. */

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toPrecision(4));

/** Prints the closing line: `NAME: <value> <unit> (baseline <value>, ratio <r>, goal <goal>)`. */
export function resultLine(
  name: string,
  value: number,
  unit: string,
  baseline: number,
  goal: string,
): string {
  const ratio = baseline === 0 ? Number.NaN : value / baseline;
  const line = `${name}: ${fmt(value)} ${unit} (baseline ${fmt(baseline)}, ratio ${fmt(ratio)}, goal ${goal})`;
  process.stdout.write(`${line}\n`);
  return line;
}

/** The result line of timed runs against timed baseline runs, their medians rounded to the unit. */
export function medianResultLine(
  name: string,
  unit: string,
  runs: number[],
  baseline: number[],
  goal: string,
): string {
  return resultLine(name, Math.round(median(runs)), unit, Math.round(median(baseline)), goal);
}

/** Prints each run's time and each baseline run's time, in ms. */
export function printRunTimes(
  count: number,
  what: string,
  runs: number[],
  baselineWhat: string,
  baseline: number[],
): void {
  const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
  process.stdout.write(`runs: ${count}; ${what} ms: ${ms(runs)}\n`);
  process.stdout.write(`baseline (${baselineWhat}) ms: ${ms(baseline)}\n`);
}

/** The number after `--name` in a benchmark's arguments, or `fallback` when the option is absent. */
export function numberArg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** Like `numberArg`, but the value given must be a positive number. */
export function positiveArg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}
