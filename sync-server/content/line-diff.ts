/**
 * A line diff of two texts for the approval page (pure): common lines kept, the rest marked as
 * removed or added, in order. Longest common subsequence over the part between the common prefix
 * and suffix; when that middle is too large for the table, it is shown as all removed then all
 * added (still complete, only less minimal).
 */
export interface DiffLine {
  op: 'same' | 'add' | 'del';
  text: string;
}

/** Upper bound of the LCS table (cells) before falling back to remove-all/add-all. */
const MAX_CELLS = 4_000_000;

function splitLines(s: string): string[] {
  if (s === '') return [];
  const lines = s.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf])
    suf++;
  const out: DiffLine[] = a.slice(0, pre).map((text) => ({ op: 'same', text }));
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_CELLS) {
    out.push(
      ...am.map((text) => ({ op: 'del' as const, text })),
      ...bm.map((text) => ({ op: 'add' as const, text })),
    );
  } else {
    // lcs[i][j]: length of the LCS of am[i..] and bm[j..], one flat row-major table.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lcs[i * w + j] =
          am[i] === bm[j]
            ? lcs[(i + 1) * w + j + 1]! + 1
            : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (am[i] === bm[j]) {
        out.push({ op: 'same', text: am[i]! });
        i++;
        j++;
      } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) out.push({ op: 'del', text: am[i++]! });
      else out.push({ op: 'add', text: bm[j++]! });
    }
    while (i < n) out.push({ op: 'del', text: am[i++]! });
    while (j < m) out.push({ op: 'add', text: bm[j++]! });
  }
  out.push(...a.slice(a.length - suf).map((text) => ({ op: 'same' as const, text })));
  return out;
}
