/**
 * `gatecast demo` run for real (TUF repository, sync server, enrolled screen, headless Chromium) for
 * a few seconds: whatever the hour, the day playlist is on air by the demo schedule, and the demo
 * says so in a line made from the schedule engine's reason.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDemo } from '../../cli/demo.js';
import { chromiumPath } from '../helpers/chromium.js';
import { tempDir } from '../helpers/temp.js';

describe('gatecast demo: what is on air', { timeout: 180_000 }, () => {
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t.cleanup());

  it('prints that the day playlist is on air, and why, at any hour', async () => {
    t = tempDir('gatecast-demo-run-');
    const lines: string[] = [];
    await runDemo({
      dir: join(t.path, 'demo'),
      port: 0,
      durationS: 25,
      headless: true,
      chromiumPath: chromiumPath(),
      out: (l) => lines.push(l),
    });
    const schedule = lines.find((l) => l.startsWith('  schedule '));
    expect(schedule).toMatch(
      /^ {2}schedule {8}the day playlist at any hour; the night playlist (\d\d:\d\d)–(\d\d:\d\d) Asia\/Ho_Chi_Minh on \d{4}-\d\d-\d\d \(entry 'night-demo'; --night-in-min moves it\)$/,
    );
    const onAir = lines.filter((l) => l.startsWith('on air: '));
    expect(onAir).toHaveLength(1);
    expect(onAir[0]).toMatch(
      /^on air: day playlist \(the schedule's default: no schedule entry from \d\d:\d\d to \d\d:\d\d Asia\/Ho_Chi_Minh\) because the demo schedule plays the day playlist at any hour$/,
    );
    // Items of the day playlist went on air after the line (the night one has no video).
    expect(lines.some((l) => /^ {2}▶ \d\d:\d\d:\d\d {2}\S+ \[/.test(l))).toBe(true);
  });
});
