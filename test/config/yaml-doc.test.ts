import { describe, expect, it } from 'vitest';
import { parseYamlDocs } from '../../src/config/yaml-doc.js';
import { KilnError } from '../../src/errors.js';

const TEXT = `# comment
apiVersion: kiln.dev/v1alpha1
kind: Profile
metadata:
  name: web
spec:
  components:
    - name: web
      helm:
        chart: charts/web
        values: &v
          replicas: 3
          flags: [a, b]
    - name: other
      helm: {chart: x, values: *v}
---
# only a comment
---
kind: Cluster
enabled: on
when: 2024-01-01
`;

describe('parseYamlDocs', () => {
  const docs = parseYamlDocs(TEXT, 'profiles/web.yaml');

  it('skips empty documents and keeps YAML 1.2 core types', () => {
    expect(docs.map((d) => d.index)).toEqual([0, 2]);
    expect(docs[1]!.value).toEqual({ kind: 'Cluster', enabled: 'on', when: '2024-01-01' });
  });

  it('locates values, keys, list items, aliases and falls back to the nearest parent', () => {
    const ref = docs[0]!.ref;
    expect(ref.file).toBe('profiles/web.yaml');
    expect(ref.locate([])).toEqual({ file: 'profiles/web.yaml', line: 2, col: 1 });
    expect(ref.locate(['metadata', 'name'])).toEqual({ file: 'profiles/web.yaml', line: 5, col: 9 });
    expect(ref.locateKey(['metadata', 'name'])).toEqual({ file: 'profiles/web.yaml', line: 5, col: 3 });
    expect(ref.locate(['spec', 'components', 0, 'helm', 'values', 'flags', 1])).toEqual({ file: 'profiles/web.yaml', line: 13, col: 22 });
    expect(ref.locate(['spec', 'components', 1])).toEqual({ file: 'profiles/web.yaml', line: 14, col: 7 });
    expect(ref.locate(['spec', 'components', 1, 'helm', 'chart'])).toEqual({ file: 'profiles/web.yaml', line: 15, col: 21 });
    // through the alias: positions of the anchored node
    expect(ref.locate(['spec', 'components', 1, 'helm', 'values', 'replicas'])).toEqual({ file: 'profiles/web.yaml', line: 12, col: 21 });
    // missing: nearest existing parent
    expect(ref.locate(['spec', 'components', 0, 'helm', 'nope', 'deeper'])).toEqual({ file: 'profiles/web.yaml', line: 10, col: 9 });
    expect(ref.locate(['spec', 'components', 7])).toEqual({ file: 'profiles/web.yaml', line: 8, col: 5 });
    expect(docs[1]!.ref.locate(['enabled'])).toEqual({ file: 'profiles/web.yaml', line: 20, col: 10 });
  });

  it('honours merge keys', () => {
    const [d] = parseYamlDocs('base: &b {a: 1}\nvars:\n  <<: *b\n  c: 2\n', 'x.yaml');
    expect(d!.value).toEqual({ base: { a: 1 }, vars: { a: 1, c: 2 } });
  });

  it.each([
    ['a: 1\na: 2\n', 'x.yaml:2:1: invalid YAML: Map keys must be unique'],
    ['a:\n\tb: 1\n', 'x.yaml:2:1: invalid YAML: Tabs are not allowed as indentation'],
    ['---\nok: 1\n---\na: "unterminated\n', 'x.yaml:5:1: invalid YAML: Missing closing "quote'],
  ])('reports syntax errors with file:line:col', (text, start) => {
    try {
      parseYamlDocs(text, 'x.yaml');
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(KilnError);
      expect((e as KilnError).oneLine().startsWith(start), (e as KilnError).oneLine()).toBe(true);
    }
  });
});
