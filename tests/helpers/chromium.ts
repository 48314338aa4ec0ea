import { existsSync } from 'node:fs';

/**
 * The Chromium the tests drive: CHROMIUM_PATH, then the Debian and Raspberry Pi OS names.
 * A missing Chromium is a failure, never a skip: `.ci/run` installs it.
 */
export function chromiumPath(): string {
  const candidates = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found)
    throw new Error(
      'Chromium not found (tried CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser); install it: apt-get install chromium',
    );
  return found;
}
