/**
 * Integers beyond 2^53 stay exact, as Kubernetes' reader keeps them (int64, uint64): read, written
 * and read back, compared digit for digit with the reference reader (test/tools/k8s-yaml-json).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { jsonText } from '../../src/manifests/json-text.js';
import { parseManifests } from '../../src/manifests/parse.js';
import { serializeObject } from '../../src/manifests/serialize.js';
import { which } from '../helpers/tools.js';

const BIG = [
  '9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808', '9223372036854775808',
  '18446744073709551615', '12345678901234567890', '18446744073709551616', '-9223372036854775809', '0x7FFFFFFFFFFFFFFF',
  '0o1777777777777777777777', '9_007_199_254_740_993', '9007199254740992', '9007199254740991', '1e19',
  // floats beyond 2^53, as kustomize's patching writes them
  '9.223372036854776e+18', '-9.223372036854776e+18', '1.8446744073709552e+19',
];

/** The reference reader's number texts of `v:` in each document, exactly as it printed them. */
function referenceNumbers(text: string): string[] {
  const out = execFileSync(which('k8s-yaml-json'), [], { input: text, encoding: 'utf8' });
  return [...out.matchAll(/"v":(-?[0-9][0-9.eE+-]*)/g)].map((m) => m[1]!);
}

const docs = (values: string[]) => values.map((v, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: n${i} }\nv: ${v}\n`).join('---\n');
/** kiln's value of `v`, as the JSON text it would hand on (digits for bigints; Go prints floats in the same shortest digits). */
const kilnNumbers = (text: string) => parseManifests(text, { source: 'big' }).map((o) => jsonText((o as unknown as { v: unknown }).v));

describe('integers beyond 2^53', () => {
  it('are read exactly as the reference reader reads them, digit for digit', () => {
    const text = docs(BIG);
    const ref = referenceNumbers(text);
    expect(ref).toHaveLength(BIG.length);
    expect(kilnNumbers(text)).toEqual(ref);
    expect(ref[2]).toBe('9223372036854775807'); // the reader keeps int64; a float64 would print 9223372036854775807 as ...808
  });

  it('are written so that the reference reads back the same digits, in maps and lists', () => {
    const objs = parseManifests(docs(BIG), { source: 'big' });
    const written = objs.map(serializeObject).join('---\n');
    expect(referenceNumbers(written)).toEqual(referenceNumbers(docs(BIG)));
    expect(written).toContain('v: 9223372036854775807\n');
    const list = parseManifests('apiVersion: v1\nkind: X\nmetadata: { name: x }\nspec: { l: [9007199254740993, 1], m: { k: -9223372036854775808 } }\n', { source: 'list' })[0]!;
    expect(serializeObject(list)).toBe('apiVersion: v1\nkind: X\nmetadata:\n  name: x\nspec:\n  l:\n    - 9007199254740993\n    - 1\n  m:\n    k: -9223372036854775808\n');
  });
});

describe('integers beyond 2^53 through a render', () => {
  it('a manifests component keeps them through a strategic-merge post-patch elsewhere in the object; check reads them as integers', async () => {
    const { mkdirSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { tmp } = await import('../helpers/tools.js');
    const { kiln } = await import('../helpers/cli.js');
    const root = tmp('kiln-bigint-');
    const put = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), text);
    };
    try {
      put('kiln.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: t }\nspec: { environments: [{ name: dev }], kubeVersion: "1.31.0" }\n');
      put('clusters/a.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: a }\nspec: { environment: dev }\n');
      put('profiles/p.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: p }\nspec:\n  clusters: [a]\n  namespace: p\n  components: [{ name: m, manifests: { paths: [m] } }]\n  patches:\n    - target: { kind: Job }\n      patch: { apiVersion: batch/v1, kind: Job, metadata: { name: j, labels: { patched: "yes" } } }\n');
      put('m/job.yaml', 'apiVersion: batch/v1\nkind: Job\nmetadata: { name: j, annotations: { a: "x" } }\nspec:\n  backoffLimit: 1\n  template:\n    spec:\n      restartPolicy: Never\n      terminationGracePeriodSeconds: 9223372036854775807\n      containers: [{ name: c, image: busybox }]\n');
      const r = await kiln('render', '--cwd', root, '--out', path.join(root, 'out'));
      expect(r.code, r.stderr).toBe(0);
      const job = readFileSync(path.join(root, 'out/a/manifests/p/p--job--j.yaml'), 'utf8');
      expect(job).toContain('terminationGracePeriodSeconds: 9223372036854775807\n');
      expect(job).toContain('patched: "yes"');
      expect(r.stderr).not.toMatch(/\[schema\]/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
