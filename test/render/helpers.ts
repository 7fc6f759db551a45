/** Shared by test/render: a copy of fixtures/render/fleet, a render context, the tools run directly. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifests } from '../../src/manifests/parse.js';
import type { Cluster, Component, HelmSpec, K8sObject } from '../../src/model.js';
import type { RenderContext, ToolSet } from '../../src/render/renderer.js';
import { findTools } from '../../src/render/tools.js';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const renderFixture = path.join(projectRoot, 'fixtures/render/fleet');

const temps: string[] = [];
export function tempDir(prefix = 'kiln-render-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** Remove every temp dir this test file made (call from afterAll). */
export function removeTempDirs(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fresh copy of the fixture fleet (tests may change files in it). */
export function copyFleet(): string {
  const dir = path.join(tempDir(), 'fleet');
  cpSync(renderFixture, dir, { recursive: true });
  return dir;
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
}

export function cluster(over: Partial<Cluster> = {}): Cluster {
  return {
    name: 'dev-1',
    labels: {},
    environment: 'dev',
    kubeVersion: '1.31.4',
    apiVersions: [],
    vars: {},
    patches: [],
    doc: { file: 'clusters/dev.yaml', locate: () => ({ file: 'clusters/dev.yaml' }) },
    ...over,
  };
}

let toolsOnce: Promise<ToolSet> | undefined;
/** The pinned tools from PATH (scripts/run.sh puts them first). */
export function realTools(): Promise<ToolSet> {
  toolsOnce ??= findTools(['helm', 'kustomize', 'jsonnet', 'ytt'], {});
  return toolsOnce;
}

/** The two Helm majors setup builds: Helm 4 as `helm` (the default) and Helm 3 beside it as `helm3`. */
export const HELM_BINARIES = ['helm', 'helm3'] as const;

/** The pinned tools with `bin` (found on PATH, as KILN_HELM=<bin> would) as helm. */
export async function toolsWithHelm(bin: string): Promise<ToolSet> {
  const { helm } = await findTools(['helm'], {}, { ...process.env, KILN_HELM: bin });
  return { ...(await realTools()), helm };
}

export async function context(root: string, over: Partial<RenderContext> = {}): Promise<RenderContext> {
  return {
    root,
    cluster: cluster(),
    profile: 'ingress',
    component: 'main',
    tools: await realTools(),
    cacheDir: tempDir('kiln-cache-'),
    tmpDir: tempDir('kiln-tmp-'),
    timeoutMs: 60_000,
    ...over,
  };
}

export function helm(spec: Partial<HelmSpec> & { chart: string }, name = 'main'): Extract<Component, { engine: 'helm' }> {
  return {
    name,
    engine: 'helm',
    spec: { releaseName: 'rel', values: {}, valuesFiles: [], includeCRDs: true, skipTests: true, insecure: false, ...spec },
  };
}

/** Helm with its homes in a temp dir, as kiln isolates it. */
export function helmEnv(home = tempDir('kiln-helm-')): NodeJS.ProcessEnv {
  return { ...process.env, HELM_CACHE_HOME: `${home}/cache`, HELM_CONFIG_HOME: `${home}/config`, HELM_DATA_HOME: `${home}/data` };
}

/** Run a tool directly, as a user would, and return stdout. */
export function direct(tool: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(tool, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

export function parse(text: string): K8sObject[] {
  return parseManifests(text, { source: 'direct' });
}

/** Objects as a comparable set: canonical JSON, sorted. */
export function asSet(objects: K8sObject[]): string[] {
  return objects.map((o) => canonical(o)).sort();
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function names(objects: K8sObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`);
}
