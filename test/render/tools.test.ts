import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KilnError, KilnErrors } from '../../src/errors.js';
import { clearToolCache, findTools, normaliseVersion } from '../../src/render/tools.js';
import { removeTempDirs, tempDir, writeFiles } from './helpers.js';

afterAll(removeTempDirs);

afterEach(() => clearToolCache());

/** A fake tool that prints `versionOutput` for any version query and counts its calls. */
function fakeTool(name: string, versionOutput: string): { dir: string; file: string; calls: string } {
  const dir = tempDir('kiln-fake-');
  const calls = path.join(dir, 'calls');
  writeFiles(dir, { [name]: `#!/bin/sh\necho x >> ${calls}\necho '${versionOutput}'\n` });
  chmodSync(path.join(dir, name), 0o755);
  return { dir, file: path.join(dir, name), calls };
}

describe('findTools', () => {
  it('finds the four pinned tools on PATH and normalises their versions to vX.Y.Z', async () => {
    const tools = await findTools(['ytt', 'helm', 'jsonnet', 'kustomize'], {});
    for (const name of ['helm', 'kustomize', 'jsonnet', 'ytt'] as const) {
      expect(tools[name]!.name).toBe(name);
      expect(path.isAbsolute(tools[name]!.path)).toBe(true);
      expect(tools[name]!.version).toMatch(/^v\d+\.\d+\.\d+$/);
    }
  });

  it('normalises what each tool prints', () => {
    expect(normaliseVersion('v3.22.0')).toBe('v3.22.0');
    expect(normaliseVersion('v5.8.2')).toBe('v5.8.2');
    expect(normaliseVersion('{Version:kustomize/v4.5.7 GitCommit:abc BuildDate:2022-08-02}')).toBe('v4.5.7');
    expect(normaliseVersion('Jsonnet commandline interpreter (Go implementation) v0.22.0')).toBe('v0.22.0');
    expect(normaliseVersion('ytt version 0.53.0')).toBe('v0.53.0');
    expect(normaliseVersion('v3.15.0-rc.1')).toBe('v3.15.0-rc.1');
    expect(normaliseVersion('(devel)')).toBeNull();
  });

  it('KILN_<TOOL> wins over PATH, and each binary is asked for its version once per process', async () => {
    const fake = fakeTool('helm', 'v3.99.1');
    const env = { ...process.env, KILN_HELM: fake.file };
    expect((await findTools(['helm'], {}, env)).helm).toEqual({ name: 'helm', path: fake.file, version: 'v3.99.1', explicit: true });
    await findTools(['helm'], { helm: '>=3' }, env);
    expect(readFileSync(fake.calls, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('walks PATH itself (no shell)', async () => {
    const fake = fakeTool('ytt', 'ytt version 0.1.2');
    const tools = await findTools(['ytt'], {}, { PATH: `/nonexistent:${fake.dir}` });
    expect(tools.ytt).toEqual({ name: 'ytt', path: fake.file, version: 'v0.1.2' });
  });

  it('checks spec.tools semver ranges', async () => {
    const fake = fakeTool('helm', 'v3.22.0');
    const env = { ...process.env, KILN_HELM: fake.file };
    await expect(findTools(['helm'], { helm: '^3.20.0' }, env)).resolves.toHaveProperty('helm.version', 'v3.22.0');
    await expect(findTools(['helm'], { helm: '>=4.0.0' }, env)).rejects.toThrow(`helm v3.22.0 at ${fake.file} does not satisfy spec.tools.helm ">=4.0.0"`);
    await expect(findTools(['helm'], { helm: 'three' }, env)).rejects.toThrow(/"three" is not a semver range/);
  });

  it('a build without a version is "unknown": accepted alone, refused by any constraint', async () => {
    const fake = fakeTool('kustomize', '(devel)');
    const env = { ...process.env, KILN_KUSTOMIZE: fake.file };
    expect((await findTools(['kustomize'], {}, env)).kustomize!.version).toBe('unknown');
    await expect(findTools(['kustomize'], { kustomize: '>=5' }, env)).rejects.toThrow(/reports no usable version \("\(devel\)"\), so it cannot satisfy spec\.tools\.kustomize ">=5"/);
  });

  it('a missing tool names what needs it and how to get it; several are reported together', async () => {
    const noTools = tempDir('kiln-no-tools-');
    const env = { PATH: '/nonexistent', KILN_JSONNET: '/nowhere/jsonnet', KILN_TOOLS_DIR: noTools };
    const one = await findTools(['helm'], {}, env, { helm: ['profile "web" component "web"'] }).catch((e: unknown) => e);
    expect(one).toBeInstanceOf(KilnError);
    expect((one as KilnError).message).toBe(`helm is needed by profile "web" component "web" but was not found: helm is not on PATH nor in ${noTools}/bin`);
    expect((one as KilnError).hint).toBe('run `kiln tools install` (builds the pinned tools with Go into $KILN_TOOLS_DIR/bin, default ~/.cache/kiln-tools/bin), or set KILN_HELM=/path/to/helm');
    const many = await findTools(['helm', 'jsonnet'], {}, env).catch((e: unknown) => e);
    expect(many).toBeInstanceOf(KilnErrors);
    expect((many as KilnErrors).errors.map((e) => e.message)).toEqual([
      `helm is needed by the selected components but was not found: helm is not on PATH nor in ${noTools}/bin`,
      'jsonnet is needed by the selected components but was not found: KILN_JSONNET=/nowhere/jsonnet is not an executable file',
    ]);
  });
});

describe('remembered tool versions', () => {
  it('a binary is asked once across runs; a rewritten one is asked again', async () => {
    const saved = process.env.KILN_CACHE_DIR;
    process.env.KILN_CACHE_DIR = tempDir('kiln-tools-cache-');
    try {
      const helm = fakeTool('helm', 'v3.1.2');
      const env = { PATH: helm.dir };
      expect((await findTools(['helm'], {}, env)).helm!.version).toBe('v3.1.2');
      clearToolCache(); // a new run
      expect((await findTools(['helm'], {}, env)).helm!.version).toBe('v3.1.2');
      expect(readFileSync(helm.calls, 'utf8')).toBe('x\n');
      // replaced in place (an upgrade): its identity changed, so it is asked again
      await new Promise((r) => setTimeout(r, 20));
      writeFiles(helm.dir, { helm: `#!/bin/sh\necho x >> ${helm.calls}\necho 'v3.2.0'\n` });
      clearToolCache();
      expect((await findTools(['helm'], {}, env)).helm!.version).toBe('v3.2.0');
      expect(readFileSync(helm.calls, 'utf8')).toBe('x\nx\n');
    } finally {
      if (saved === undefined) delete process.env.KILN_CACHE_DIR;
      else process.env.KILN_CACHE_DIR = saved;
    }
  });
});
