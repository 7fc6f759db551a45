/**
 * Policy verdicts kept across runs in kiln's cache dir (`<cache>/checks/`, pruned with the render cache),
 * by (policy files' content id, cluster data, object files and hashes, conftest binary) under kiln's
 * version, so a second run over unchanged clusters runs no conftest. Anything that decides a verdict is
 * in its key: a changed policy file or object is a miss. Schema verdicts are not kept here: one file
 * per object cost a cold publish of 1,000 clusters more than the validations it saves (run.ts).
 */
import { createHash } from 'node:crypto';
import { cacheFiles, hexEntryPath } from '../util/cache-files.js';

export interface CheckCache {
  get<T>(parts: unknown[]): Promise<T | undefined>;
  put(parts: unknown[], value: unknown): Promise<void>;
}

export function diskCheckCache(dir: string, kilnVersion: string): CheckCache {
  const files = cacheFiles();
  const file = (parts: unknown[]) => hexEntryPath(dir, 'checks', createHash('sha256').update(JSON.stringify([kilnVersion, ...parts])).digest('hex'))!;
  return {
    async get<T>(parts: unknown[]) {
      const v = (await files.read(file(parts))) as { value?: T } | undefined;
      return v && typeof v === 'object' && 'value' in v ? v.value : undefined;
    },
    put: (parts, value) => files.write(file(parts), JSON.stringify({ value })),
  };
}

/** What a checker did (the debug log's proof that identical objects are parsed and validated once per run). */
export interface CheckStats {
  /** Objects checked, over all clusters. */
  objects: number;
  /** YAML parses (distinct object files, plus a re-parse for each further schema set one meets). */
  parsed: number;
  /** Validations run: distinct (schema set or CRD, object content) pairs. */
  schemaRuns: number;
  /** Validations answered by an identical object checked earlier in the run. */
  schemaShared: number;
  policyRuns: number;
  policyCached: number;
}
