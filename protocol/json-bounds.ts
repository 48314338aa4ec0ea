/**
 * Bounds on free-form JSON (an event's `data`, a command's `args`, an outbox record's payload): how
 * deep it nests and how long its JSON text is. Everything downstream that walks such a value
 * recursively (JSON.stringify when it is stored, zod, the dashboard) overflows the stack on a
 * hostile 100k-deep value, so the value is measured here first, iteratively, and refused.
 */
import { z } from 'zod';

export interface JsonBounds {
  /** Containers nested in one another, the value itself included: `{"a":[1]}` is 2 deep. */
  maxDepth: number;
  /** Length of the value's JSON text (a lower bound, escapes not counted). */
  maxChars: number;
}

/** Why a value is out of bounds, and where (path relative to the value). */
export interface JsonBoundsViolation {
  path: (string | number)[];
  message: string;
}

interface Frame {
  value: unknown;
  depth: number;
  key: string | number | undefined;
  parent: Frame | undefined;
}

function pathOf(f: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Frame | undefined = f; at?.parent; at = at.parent) path.push(at.key!);
  return path.reverse();
}

function scalarChars(v: unknown): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v === 'number') return String(v).length;
  if (typeof v === 'boolean') return v ? 4 : 5;
  return 4; // null, and anything JSON.stringify writes as null
}

/**
 * Measures `value` against `bounds` without recursion, and stops at the first bound crossed: the
 * work is at most `maxChars` steps, however large or deep the value. Undefined when within bounds.
 */
export function checkJsonBounds(value: unknown, bounds: JsonBounds): JsonBoundsViolation | undefined {
  const stack: Frame[] = [{ value, depth: 0, key: undefined, parent: undefined }];
  let chars = 0;
  const tooLong = (): JsonBoundsViolation => ({
    path: [],
    message: `longer than ${bounds.maxChars} characters of JSON`,
  });
  while (stack.length > 0) {
    const f = stack.pop()!;
    const v = f.value;
    if (v === null || typeof v !== 'object') {
      chars += scalarChars(v);
      if (chars > bounds.maxChars) return tooLong();
      continue;
    }
    const depth = f.depth + 1;
    if (depth > bounds.maxDepth)
      return { path: pathOf(f), message: `nests deeper than ${bounds.maxDepth} levels` };
    // Brackets, commas and keys are counted before the children are stacked, so a very wide
    // value is refused without stacking its members.
    const keys = Array.isArray(v) ? undefined : Object.keys(v);
    const n = keys ? keys.length : (v as unknown[]).length;
    chars += 2 + Math.max(0, n - 1);
    for (let i = 0; keys && i < keys.length && chars <= bounds.maxChars; i++) chars += keys[i]!.length + 3;
    if (chars > bounds.maxChars) return tooLong();
    for (let i = n - 1; i >= 0; i--) {
      const key = keys ? keys[i]! : i;
      stack.push({ value: (v as Record<string | number, unknown>)[key], depth, key, parent: f });
    }
  }
  return undefined;
}

/** A zod check that refuses a value outside `bounds`, naming where it goes too deep. */
export function jsonWithin<T extends z.ZodType>(schema: T, bounds: JsonBounds): T {
  return schema.check((ctx) => {
    const v = checkJsonBounds(ctx.value, bounds);
    if (v) ctx.issues.push({ code: 'custom', message: v.message, input: ctx.value, path: v.path });
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * How deep the JSON text `text` nests, checked on the bytes before it is parsed: JSON.parse does
 * not overflow on 100k levels, but it takes seconds on a few MB of them. One pass, no recursion;
 * at the first container deeper than `maxDepth` it stops and returns where that is (the path as
 * zod writes it, rebuilt from the keys and indexes seen on the way). Malformed text is left to
 * JSON.parse to refuse.
 */
export function checkJsonTextDepth(text: Buffer, maxDepth: number): JsonBoundsViolation | undefined {
  // Per open container (level 1..maxDepth): array or object, the index or the last key's bytes.
  const isArray: boolean[] = [];
  const index: number[] = [];
  const keyStart: number[] = [];
  const keyEnd: number[] = [];
  let depth = 0;
  let strStart = -1;
  let strEnd = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === QUOTE) {
      // Jump to the closing quote: one that is not escaped by an odd run of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf(QUOTE, j + 1);
        if (j < 0) return undefined;
        let slashes = 0;
        while (text[j - 1 - slashes] === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break;
      }
      strStart = i;
      strEnd = j;
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > maxDepth)
        return {
          path: textPath(text, depth, isArray, index, keyStart, keyEnd),
          message: `nests deeper than ${maxDepth} levels`,
        };
      isArray[depth] = c === 0x5b;
      index[depth] = 0;
      keyStart[depth] = -1;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth > 0) depth--;
    } else if (c === 0x3a /* : */) {
      keyStart[depth] = strStart;
      keyEnd[depth] = strEnd;
    } else if (c === 0x2c /* , */ && isArray[depth]) {
      index[depth]!++;
    }
  }
  return undefined;
}

function textPath(
  text: Buffer,
  depth: number,
  isArray: boolean[],
  index: number[],
  keyStart: number[],
  keyEnd: number[],
): (string | number)[] {
  const path: (string | number)[] = [];
  for (let level = 1; level < depth; level++) {
    if (isArray[level]) {
      path.push(index[level]!);
      continue;
    }
    if (keyStart[level]! < 0) {
      path.push('?'); // a value without its key: malformed, JSON.parse would refuse it anyway
      continue;
    }
    const raw = text.toString('utf8', keyStart[level]!, keyEnd[level]! + 1);
    try {
      path.push(JSON.parse(raw) as string);
    } catch {
      path.push(raw); // a key JSON.parse would refuse anyway: shown as written
    }
  }
  return path;
}
