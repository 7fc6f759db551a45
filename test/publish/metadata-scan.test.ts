/**
 * The profiles of `.kiln/metadata.yaml` read line by line (publish reads them for every changed head
 * and its new render) are exactly what a full YAML parse reads, and any layout kiln does not write
 * is left to the parser.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { serializeData } from '../../src/manifests/serialize.js';
import { profilesOf, scanProfiles } from '../../src/publish/removed-profiles.js';

const component = (name: string) => ({ name, engine: 'helm', command: ['helm', 'template', name, '--set', 'a: b', 'objects: 9', '  web:'], inputHash: 'sha256:00' });
const clusterMeta = (cluster: string, profiles: Record<string, number>) => ({
  sourceRepo: 'https://git.example.com/fleet.git',
  sourceCommit: 'abc',
  environment: 'dev',
  cluster,
  tools: { helm: 'v4.3.1' },
  profiles: Object.fromEntries(Object.entries(profiles).map(([p, n]) => [p, { components: [component(p)], objects: n, note: 'multi\nline\n  text:\n' }])),
  objects: Object.values(profiles).reduce((a, b) => a + b, 0),
});
/** What the full parse reads: the reference the scan must equal. */
const parsed = (text: string) => {
  const m = parse(text) as Record<string, any>;
  const obj = (v: unknown): Record<string, any> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : {});
  const one = (x: Record<string, any>) => new Map(Object.entries(obj(x.profiles)).map(([p, v]) => [p, Number(obj(v).objects ?? 0)]));
  return m.clusters ? new Map(Object.entries(m.clusters).map(([c, x]) => [c, one(x as any)])) : new Map([[m.cluster, one(m)]]);
};

describe('metadata profiles read without a YAML parse', () => {
  it("reads kiln's own layouts as the parser does: one cluster, a shared branch, no profiles", () => {
    const texts = [
      serializeData(clusterMeta('dev-us-east-00140', { base: 5, gateway: 12, 'team.apps': 0 })),
      serializeData(clusterMeta('prod-a', {})),
      serializeData({ sourceCommit: 'abc', branch: 'rendered/dev', clusters: { a: clusterMeta('a', { web: 2 }), b: clusterMeta('b', { web: 2, base: 1 }) }, objects: 5 }),
      serializeData({ sourceCommit: 'abc', branch: 'rendered/dev', clusters: {}, objects: 0 }),
    ];
    for (const t of texts) {
      const scanned = scanProfiles(t);
      expect(scanned, t).toBeDefined();
      expect(scanned).toEqual(parsed(t));
      expect(profilesOf(t)).toEqual(scanned);
    }
  });

  it('leaves any other layout to the parser, with the same result', () => {
    const base = serializeData(clusterMeta('a', { web: 2, base: 1 }));
    const others = [
      base.replace('cluster: a', 'cluster: "a"'),
      base.replace('cluster: a', 'cluster: 123'),
      base.replace('cluster: a', 'cluster: true'),
      base.replace('  web:\n', '  "web":\n'),
      base.replace('  web:\n', '  web: # edited\n'),
      base.replace('    objects: 2', '    objects: 2 # edited'),
      base.replace('    objects: 2', '    objects: &n 2'),
      `---\n${base}`,
      base.replace(/\n/g, '\r\n'),
      'cluster: a\nprofiles: { web: { objects: 2 } }\n',
      'cluster: a\nprofiles:\n- web\n',
      '- a\n- b\n',
      'cluster: a\ncluster: b\nprofiles: {}\n',
    ];
    for (const t of others) {
      expect(scanProfiles(t), t).toBeUndefined();
      let expected: Map<string, Map<string, number>>;
      try {
        const m = parse(t) as Record<string, any>;
        expected = typeof m?.cluster === 'string' ? parsed(t) : new Map();
      } catch {
        expected = new Map();
      }
      expect(profilesOf(t), t).toEqual(expected);
    }
  });
});
