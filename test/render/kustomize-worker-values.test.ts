/**
 * The values the kustomize worker hands kiln with a build's output (tools/worker-values/values.go,
 * which the Helm worker uses too), so that kiln need not parse the YAML text: they must be exactly what kiln's own reader
 * (src/manifests/parse.ts) makes of that text, or not be given at all. Held against kiln's reader over
 * its corpus of tricky YAML (test/helpers/k8s-yaml.ts), one scalar at a time and whole, and over the
 * outputs of the worker's build corpus; then through kiln's patch builds.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { KUSTOMIZE_WORKER, RenderWorkers, workerBinary, type WorkerAnswer } from '../../src/exec/render-worker.js';
import { parseK8sYaml } from '../../src/manifests/parse.js';
import type { K8sObject, PatchSpec } from '../../src/model.js';
import { applyPatches } from '../../src/patch/apply.js';
import { corpusManifest, differences, KEYS, REFUSED_KEYS, REFUSED_VALUES, SCALARS, STYLED } from '../helpers/k8s-yaml.js';
import { kustomizeTool } from '../helpers/tools.js';
import { removeTempDirs, tempDir } from './helpers.js';
import { scope, workerSet } from './worker-helpers.js';

afterAll(removeTempDirs);

const binary = workerBinary(process.env, KUSTOMIZE_WORKER);

/** kiln's reading of `text`: its documents, or the error it refuses the text with. */
function kilnRead(text: string): { docs?: unknown[]; error?: string } {
  try {
    return { docs: parseK8sYaml(text, { source: 'test' }) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('the kustomize worker\'s values', () => {
  const workers = new RenderWorkers(binary!, 2, new AbortController().signal);
  afterAll(() => workers.close());
  const ask = (text: string): Promise<WorkerAnswer | undefined> => workers.request({ engine: 'values', text }, 60_000);

  /** Every text the worker gave values for, with kiln's differences from them; and the texts it declined. */
  async function judge(texts: string[]): Promise<{ given: string[]; declined: string[]; wrong: string[] }> {
    const answers = await Promise.all(texts.map(ask));
    const out = { given: [] as string[], declined: [] as string[], wrong: [] as string[] };
    texts.forEach((text, i) => {
      const a = answers[i];
      if (!a?.values) return void out.declined.push(text);
      out.given.push(text);
      const kiln = kilnRead(text);
      if (kiln.error) out.wrong.push(`${JSON.stringify(text)}: values given, kiln refuses it (${kiln.error})`);
      else for (const d of differences(kiln.docs, a.values)) out.wrong.push(`${JSON.stringify(text)}${d}`);
    });
    return out;
  }

  it('are kiln\'s reading of each scalar, as a value, in a list and as a key, or are not given', async () => {
    expect(binary, 'scripts/setup.sh builds kiln-render-worker-kustomize').toBeDefined();
    const values = [...SCALARS, ...STYLED, ...REFUSED_VALUES, '-0.0', '-0', '9007199254740991', '-9007199254740991', '9007199254740992'].map((s) => `kind: X\nv: ${s}\n`);
    const lists = SCALARS.map((s) => `kind: X\nv:\n- ${s}\n- [${s || '""'}]\n`);
    const keys = [...KEYS, ...REFUSED_KEYS].map((k) => `kind: X\n${k}: v\n`);
    const r = await judge([...values, ...lists, ...keys]);
    expect(r.wrong).toEqual([]);
    // most are given: only what JSON cannot carry as kiln reads it is declined
    expect(r.given.length).toBeGreaterThan(0.8 * (values.length + lists.length));
    const declined = new Set(r.declined);
    // integers beyond 2^53, non-finite floats, tags, keys that are not strings
    for (const s of ['9007199254740993', '9223372036854775807', '18446744073709551615', '.nan', '-.inf', '!!str 0440', '!custom 5', '!!binary aGVsbG8=']) {
      expect(declined.has(`kind: X\nv: ${s}\n`), s).toBe(true);
    }
    for (const k of ['1', 'yes', '1.5', '~', 'null']) expect(declined.has(`kind: X\n${k}: v\n`), k).toBe(true);
    // and what it gives keeps what JSON could lose: -0, floats, ints up to 2^53 - 1, base-60 look-alikes as strings
    for (const s of ['-0.0', '1e21', '6.02e23', '0x1F', '0440', '9007199254740991', '22:30', '2001-12-14', 'yes', '~', '1_000']) {
      expect(r.given, s).toContain(`kind: X\nv: ${s}\n`);
    }
  });

  it('are kiln\'s reading of whole streams: documents, key order, block scalars, escapes, comments, duplicate keys', async () => {
    const streams = [
      'kind: A\nz: 1\na: 2\nm: {x: 1, b: 2}\n---\nkind: B\nlist: [{k: v}, [1, 2], ""]\n',
      '# a comment\n---\nkind: A\nlit: |\n  line one\n    kept indent\n\n  after blank\nfolded: >\n  one\n  two\n\n  three\nkeep: |+\n  end\n\nstrip: |-\n  x\n',
      'kind: A\ndq: "tab\\there \\u00e9 \\x41 \\U0001F600 \\\\ \\""\nsq: \'it\'\'s\'\nmulti: a\n  b\n  c\nunicode: ünïcødé ✓\n',
      'kind: A\ndup: 1\nother: x\ndup: 2\n__proto__: {polluted: true}\n',
      'kind: A\nempty: {}\nnone: []\nnull1:\nnull2: ~\nquotedNull: "null"\n',
      'kind: A\n"quoted key": 1\n\'single\': 2\n? plain\n: 3\n',
      'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n',
    ];
    const r = await judge(streams);
    expect(r.wrong).toEqual([]);
    expect(r.declined.map((t) => t.slice(0, 20))).toEqual([]);
    // and the order of keys survives, which JSON.stringify of kiln's reading shows
    const a = await ask(streams[0]!);
    expect(JSON.stringify(a!.values)).toBe(JSON.stringify(parseK8sYaml(streams[0]!, { source: 'test' })));
    expect(Object.keys((a!.values![0] as Record<string, unknown>))).toEqual(['kind', 'z', 'a', 'm']);
  });

  it('are not given for anchors, aliases, merge keys, tags, directives, or documents that are not maps', async () => {
    const streams = [
      corpusManifest(), // merges, aliases and tags
      'kind: A\nbase: &b {x: 1}\nuse: *b\n',
      'kind: A\nm: {<<: {x: 1}, y: 2}\n',
      'kind: A\nv: !!str 1\n',
      '%YAML 1.1\n---\nkind: A\n',
      'kind: A\n---\n',
      '- a\n- b\n',
      'just a scalar\n',
      'kind: A\nbad: [\n',
      'kind: A\nv: .inf\n',
      'kind: A\nslash: "a\\/b"\n', // an escape of YAML 1.2 only: go-yaml v2 refuses it
      'kind: A\nm: {y: 1}\n', // y: a YAML 1.1 boolean, a key JSON has no place for as such
    ];
    const r = await judge(streams);
    expect(r.given).toEqual([]);
    // a build's text with such a thing is still read, by kiln, from the text
    expect(kilnRead(streams[1]!).docs).toEqual([{ kind: 'A', base: { x: 1 }, use: { x: 1 } }]);
  });

  it('patch builds take them, with the same objects as builds that give none (the CLI)', async () => {
    const deployment: K8sObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'web', labels: { app: 'web' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'web:1', args: ['--port=8080', '0440', 'yes'] }] } } } };
    const config: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'web' }, data: { window: '22:30', mode: '0440', on: 'yes', big: '9007199254740993' } };
    // labelled so the label-selector patch reaches it: only objects a patch may select go to kustomize (patch/reach.ts)
    const widget = (spec: Record<string, unknown>): K8sObject => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'web', labels: { app: 'web' } }, spec });
    const patches: PatchSpec[] = [
      { patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: web }\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        env:\n        - { name: LOG, value: "debug" }\n' },
      { target: { labelSelector: 'app=web' }, patch: [{ op: 'add', path: '/metadata/annotations', value: { 'example.com/owner': 'platform', when: '22:30' } }] },
      { target: { kind: 'ConfigMap' }, patch: [{ op: 'add', path: '/data/extra', value: '0x10' }] },
    ];
    // the second build holds an integer JSON cannot carry: the worker declines and kiln reads the text
    const inputs = [
      [deployment, config, widget({ ratio: 0.5, count: 9007199254740991, neg: -0.5, order: { z: 1, a: 2 } })],
      [deployment, config, widget({ big: 12345678901234567890n })],
    ];
    const kustomize = kustomizeTool();
    const asked = vi.spyOn(RenderWorkers.prototype, 'request');
    const build = async (objects: K8sObject[], withWorkers: boolean) => {
      const set = withWorkers ? workerSet(KUSTOMIZE_WORKER, binary!, 1, new AbortController().signal) : undefined;
      try {
        return await applyPatches(objects, patches, { kustomize, tmpDir: tempDir(), timeoutMs: 60_000, what: 'profile "p" on cluster "c"', session: scope(set) });
      } finally {
        await set?.close();
      }
    };
    const exact = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
    for (const objects of inputs) {
      const viaCli = await build(objects, false);
      const viaWorker = await build(objects, true);
      expect(exact(viaWorker)).toBe(exact(viaCli));
    }
    const answers = await Promise.all(asked.mock.results.map((r) => r.value as Promise<WorkerAnswer | undefined>));
    const builds = asked.mock.calls.map((c, i) => ({ body: c[0], answer: answers[i] })).filter((b) => b.body.engine === 'kustomize');
    asked.mockRestore();
    expect(builds.map((b) => [(b.body as { values?: boolean }).values, b.answer?.exitCode, Boolean(b.answer?.values)])).toEqual([
      [true, 0, true],
      [true, 0, false],
    ]);
  });
});
