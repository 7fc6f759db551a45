/** A synthetic diff report of a chosen size: `groups` groups of one ConfigMap change each, ~`chars` characters apiece. */
import type { DiffReport } from '../../src/diff/model.js';

export function bigReport(groups: number, chars = 5_000): DiffReport {
  const line = (c: string) => `${c}  k: "${c.repeat(90)}"`;
  const lines = Math.ceil(chars / 200);
  const diff = (i: number) => [`@@ -1,${lines} +1,${lines} @@`, ...Array.from({ length: lines }, () => line('-')), ...Array.from({ length: lines }, () => line('+')), ` g: "${i}"`].join('\n');
  return {
    schema: 'kiln.dev/diff/v1',
    base: { kind: 'published', ref: 'origin' },
    head: { kind: 'worktree', commit: 'c'.repeat(40), dirty: false },
    ignore: [],
    totals: { clusters: groups, changedClusters: groups, groups, added: 0, changed: groups, removed: 0, risks: {} },
    clusters: [],
    removedProfiles: [],
    groups: Array.from({ length: groups }, (_, i) => ({
      id: i + 1,
      clusters: [`c-${String(i).padStart(3, '0')}`],
      added: 0,
      changed: 1,
      removed: 0,
      risks: [],
      objects: [{ group: '', kind: 'ConfigMap', namespace: 'n', name: `cm-${i}`, profile: 'p', action: 'changed' as const, risks: [], immutableFields: [], notes: [], diff: diff(i) }],
    })),
  };
}
