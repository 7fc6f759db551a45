/**
 * One empty kiln cache for the whole test run (KILN_CACHE_DIR, unless the caller set one): no test's counts
 * depend on what an earlier run left in ~/.cache/kiln, and `npm test` leaves the user's cache alone. The
 * test files share it (renders one file caches, another reads), as the runs of one CI job would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  if (process.env.KILN_CACHE_DIR) return () => undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-test-cache-'));
  // forks inherit the environment of the process that starts them
  process.env.KILN_CACHE_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
