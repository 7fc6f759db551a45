// Runs vitest and ends with one plain summary line ("tests: N passed, N failed, N skipped") that
// CI systems can read whatever reporter they know. Exit code is vitest's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'test-artifacts', 'vitest.json');
mkdirSync(path.dirname(out), { recursive: true });
rmSync(out, { force: true });
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
// the temp dirs the tests, and the programs they start, make all go under one dir, removed at the end:
// a run used to leave ~1,000 kiln-* dirs in /tmp (a test that fails keeps its files only for the run)
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kiln-test-run-'));
const r = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TMPDIR: tmp },
});
try {
  rmSync(tmp, { recursive: true, force: true });
} catch (e) {
  console.log(`could not remove the tests' temp dir ${tmp}: ${e.message}`);
}
let code = r.status ?? 1;
if (existsSync(out)) {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  const failed = j.numFailedTests + (j.numRuntimeErrorTestSuites ?? 0);
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  console.log(`tests: ${j.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
  if (j.numTotalTests === 0) {
    console.log('no test ran');
    code = code || 1;
  }
} else {
  console.log('tests: 0 passed, 1 failed');
  code = code || 1;
}
process.exit(code);
