/**
 * JSON text that people write (bundle.json): parsed with JSON.parse, and when that fails, the
 * place of the first syntax error as line and column, which JSON.parse does not always give (and
 * gives as an offset when it does).
 */

export interface JsonSyntaxError {
  /** 1-based line and column (in UTF-16 code units) of the first character that cannot be there. */
  line: number;
  column: number;
  message: string;
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError };

/** Parses `text`; on a syntax error, says where (line, column) and what was expected. */
export function parseJsonText(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const found = findSyntaxError(text) ?? { offset: 0, message: (err as Error).message };
    return { ok: false, error: { ...lineColumn(text, found.offset), message: found.message } };
  }
}

/** `not valid JSON at line 3, column 5: expected "," or "}", found '"'`. */
export function describeJsonSyntaxError(e: JsonSyntaxError): string {
  return `not valid JSON at line ${e.line}, column ${e.column}: ${e.message}`;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  return { line, column: offset - lineStart + 1 };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** The first syntax error of `text` (iterative: a deeply nested text cannot overflow the stack). */
function findSyntaxError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const stack: ('{' | '[')[] = [];
  type Mode = 'value' | 'valueOrClose' | 'keyOrClose' | 'key' | 'colon' | 'after';
  let mode: Mode = 'value';
  const found = () => {
    if (i >= text.length) return 'the end of the text';
    const c = text[i]!;
    if (c === '\uFEFF') return 'a byte-order mark (save the file as UTF-8 without BOM)';
    return c < ' ' ? `control character U+${c.charCodeAt(0).toString(16).padStart(4, '0')}` : `'${c}'`;
  };
  const fail = (expected: string) => ({ offset: i, message: `expected ${expected}, found ${found()}` });
  const string = (): { offset: number; message: string } | undefined => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) return { offset: i, message: 'unterminated string' };
      const c = text[i]!;
      if (c === '"') {
        i++;
        return undefined;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!HEX4.test(text.slice(i + 2, i + 6)))
            return { offset: i, message: 'a \\u escape needs four hex digits' };
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return { offset: i, message: `invalid escape "\\${e ?? ''}" in a string` };
        continue;
      }
      if (c < ' ')
        return {
          offset: i,
          message: 'a control character (a line break or tab) inside a string must be escaped',
        };
      i++;
    }
  };
  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
    const c = text[i];
    switch (mode) {
      case 'valueOrClose':
      case 'value': {
        if (mode === 'valueOrClose' && c === ']') {
          i++;
          stack.pop();
          mode = 'after';
          break;
        }
        if (c === '{' || c === '[') {
          stack.push(c);
          i++;
          mode = c === '{' ? 'keyOrClose' : 'valueOrClose';
          break;
        }
        if (c === '"') {
          const e = string();
          if (e) return e;
          mode = 'after';
          break;
        }
        NUMBER.lastIndex = i;
        const num = NUMBER.exec(text);
        const literal = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
        if (num && num[0] !== '-') i += num[0].length;
        else if (literal) i += literal.length;
        else return fail('a value (object, array, string, number, true, false or null)');
        mode = 'after';
        break;
      }
      case 'keyOrClose':
      case 'key':
        if (mode === 'keyOrClose' && c === '}') {
          i++;
          stack.pop();
          mode = 'after';
          break;
        }
        if (c !== '"') return fail('a property name in double quotes');
        {
          const e = string();
          if (e) return e;
        }
        mode = 'colon';
        break;
      case 'colon':
        if (c !== ':') return fail('":" after the property name');
        i++;
        mode = 'value';
        break;
      case 'after': {
        const top = stack.at(-1);
        if (!top) return i < text.length ? fail('nothing after the end of the JSON value') : undefined;
        const close = top === '{' ? '}' : ']';
        if (c === ',') {
          i++;
          mode = top === '{' ? 'key' : 'value';
        } else if (c === close) {
          i++;
          stack.pop();
        } else return fail(`"," or "${close}"`);
        break;
      }
    }
  }
}
