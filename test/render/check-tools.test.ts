/**
 * `kiln tools install` covers kiln check's tools too (conftest, the Kubernetes schema sets), at the pins
 * scripts/check-tools.txt ships in the package: the same as scripts/setup.sh builds for a checkout.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTools } from '../../src/render/tools-install.js';
import { kiln } from '../helpers/cli.js';
import { projectRoot } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';

describe('kiln check tools', () => {
  it('pins in scripts/check-tools.txt are the ones setup.sh builds', async () => {
    const setup = readFileSync(path.join(projectRoot, 'scripts/setup.sh'), 'utf8');
    const { tools, k8sReleases } = await checkTools(path.join(projectRoot, 'scripts/check-tools.txt'));
    expect(tools.map((t) => `${t.name}|${t.module}|${t.pkg}|${t.version}`)).toEqual([/"(conftest\|[^"]+)"/.exec(setup)![1]]);
    expect(k8sReleases).toEqual(/^K8S_OPENAPI=\((.*)\)$/m.exec(setup)![1]!.trim().split(/\s+/));
  });

  it('installs conftest and k8s-openapi by name; without Go and without them, says what to do', async () => {
    const env = { ...process.env };
    const dir = tmp('kiln-tools-empty-');
    process.env.KILN_TOOLS_DIR = dir;
    process.env.PATH = [path.dirname(process.execPath), '/usr/bin', '/bin'].join(':'); // no go
    try {
      const r = await kiln('tools', 'install', 'k8s-openapi', 'conftest');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Go is not on PATH, so kiln cannot build its tools/);
      expect(r.stderr).toMatch(/conftest v0\.71\.1 \(go install github\.com\/open-policy-agent\/conftest@v0\.71\.1\).*Kubernetes schema sets need Go too \(or set KILN_K8S_OPENAPI_DIR\)/s);
      const u = await kiln('tools', 'install', 'kubeconform');
      expect(u.code).toBe(1);
      expect(u.stderr).toMatch(/unknown tool "kubeconform".*conftest, k8s-openapi/s);
    } finally {
      process.env.KILN_TOOLS_DIR = env.KILN_TOOLS_DIR;
      if (env.KILN_TOOLS_DIR === undefined) delete process.env.KILN_TOOLS_DIR;
      process.env.PATH = env.PATH;
    }
  });
});
