import { afterEach } from 'vitest';

export type Cleanup = () => unknown;

/**
 * The clean-ups of a test file: what a test opens it pushes here, and after each test they run in
 * the reverse order of opening (a server stops before its folder is removed).
 */
export function cleanupsAfterEach(): Cleanup[] {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return cleanups;
}
