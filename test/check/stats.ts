/** The checks' debug line (check/gate.ts logCheckStats) as numbers. */
import { expect } from 'vitest';
import type { CheckStats } from '../../src/check/cache.js';

/** What the line says: the checker's own counts. */
export type LoggedCheckStats = CheckStats;

export function checkStatsOf(stderr: string): LoggedCheckStats {
  const m = /checks: (\d+) object\(s\), (\d+) parsed; (\d+) schema validation\(s\) run, (\d+) shared within the run; (\d+) conftest run\(s\), (\d+) from the cache/.exec(stderr);
  expect(m, stderr).not.toBeNull();
  const [objects, parsed, schemaRuns, schemaShared, policyRuns, policyCached] = m!.slice(1).map(Number) as [number, number, number, number, number, number];
  return { objects, parsed, schemaRuns, schemaShared, policyRuns, policyCached };
}
