/** The checks' debug line (check/gate.ts logCheckStats) as numbers. */
import { expect } from 'vitest';

export interface LoggedCheckStats {
  objects: number;
  parsed: number;
  schemaRuns: number;
  schemaShared: number;
  policyRuns: number;
  policyCached: number;
}

export function checkStatsOf(stderr: string): LoggedCheckStats {
  const m = /checks: (\d+) object\(s\), (\d+) parsed; (\d+) schema validation\(s\) run, (\d+) shared within the run; (\d+) conftest run\(s\), (\d+) from the cache/.exec(stderr);
  expect(m, stderr).not.toBeNull();
  const [objects, parsed, schemaRuns, schemaShared, policyRuns, policyCached] = m!.slice(1).map(Number) as [number, number, number, number, number, number];
  return { objects, parsed, schemaRuns, schemaShared, policyRuns, policyCached };
}
