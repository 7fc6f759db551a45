/**
 * What changes for a user between Helm 3 and Helm 4 `template` (README "Helm 3 and Helm 4" cites these):
 * the same objects for kiln's chart corpus, text that differs only in blank lines, a different default
 * Kubernetes version when none is given, and schema errors worded alike.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSet, copyFleet, direct, helmEnv, parse, removeTempDirs, tempDir, toolsWithHelm, writeFiles } from './helpers.js';

afterAll(removeTempDirs);

let root: string;
let v4: string;
let v3: string;
beforeAll(async () => {
  root = copyFleet();
  v4 = (await toolsWithHelm('helm')).helm!.path;
  v3 = (await toolsWithHelm('helm3')).helm!.path;
  writeFiles(root, {
    'charts/caps/Chart.yaml': 'apiVersion: v2\nname: caps\nversion: 0.1.0\n',
    'charts/caps/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caps\ndata:\n  kube: "{{ .Capabilities.KubeVersion }}"\n  helmMajor: "{{ (semver .Capabilities.HelmVersion.Version).Major }}"\n',
    'charts/schema/Chart.yaml': 'apiVersion: v2\nname: schema\nversion: 0.1.0\n',
    'charts/schema/values.yaml': 'replicas: 1\n',
    'charts/schema/values.schema.json': '{"type":"object","properties":{"replicas":{"type":"integer"}}}',
    'charts/schema/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  r: "{{ .Values.replicas }}"\n',
  });
});

function template(helm: string, args: string[]): string {
  return direct(helm, ['template', 'rel', ...args], root, helmEnv(tempDir('kiln-helm-')));
}

describe('Helm 3 and Helm 4 template output', () => {
  it('are the two majors setup builds', () => {
    expect(execFileSync(v4, ['version', '--template', '{{.Version}}'], { encoding: 'utf8' })).toMatch(/^v4\./);
    expect(execFileSync(v3, ['version', '--template', '{{.Version}}'], { encoding: 'utf8' })).toMatch(/^v3\./);
  });

  it('give the same objects (hooks, test hooks, CRDs, a subchart, Capabilities); the text differs only in blank lines', () => {
    for (const args of [
      ['charts/app', '--include-crds', '--kube-version', '1.31.4', '--api-versions', 'monitoring.coreos.com/v1'],
      ['charts/app', '--include-crds', '--skip-tests', '--kube-version', '1.28.2', '-f', 'values/dev.yaml'],
    ]) {
      const a = template(v4, args);
      const b = template(v3, args);
      expect(asSet(parse(a))).toEqual(asSet(parse(b)));
      expect(a).not.toBe(b); // Helm 4 keeps a blank line before each `---`
      const squeeze = (t: string) => t.replace(/\n{2,}/g, '\n');
      expect(squeeze(a)).toBe(squeeze(b));
    }
  });

  it('default to different Kubernetes versions when none is given (kiln passes the cluster\'s kubeVersion)', () => {
    const data = (helm: string, extra: string[] = []) => parse(template(helm, ['charts/caps', ...extra]))[0]!.data as Record<string, string>;
    expect(data(v4)).toEqual({ kube: expect.stringMatching(/^v1\.3\d\.0$/), helmMajor: '4' });
    expect(data(v3)).toEqual({ kube: 'v1.20.0', helmMajor: '3' });
    expect(data(v4, ['--kube-version', '1.30.2']).kube).toBe('v1.30.2');
    expect(data(v3, ['--kube-version', '1.30.2']).kube).toBe('v1.30.2');
  });

  it('reject values against values.schema.json with the same message', () => {
    const fail = (helm: string) => {
      try {
        template(helm, ['charts/schema', '--set', 'replicas=two']);
        return '';
      } catch (e) {
        return String((e as { stderr?: string }).stderr);
      }
    };
    const a = fail(v4);
    expect(a).toContain("at '/replicas': got string, want integer");
    expect(a).toBe(fail(v3));
  });
});
