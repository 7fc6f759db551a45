/**
 * Check results kept across runs in kiln's cache dir (`<cache>/checks/`, pruned with the render cache):
 * a schema verdict by (schema set content id or CRD id, object content hash), a policy verdict by
 * (policy files' content id, cluster data, object files and hashes, conftest binary), both under kiln's
 * version, so a second run over unchanged objects validates nothing and runs no conftest. Anything
 * that decides a verdict is in its key: a changed policy file, schema set or object is a miss.
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

/** What a checker ran and what it took from the cache (the debug log's proof that a warm run runs nothing). */
export interface CheckStats {
  schemaRuns: number;
  schemaCached: number;
  policyRuns: number;
  policyCached: number;
}
