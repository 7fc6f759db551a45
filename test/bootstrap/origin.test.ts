/** `kiln bootstrap` without --repo-url takes the fleet repo's origin; the usual scp-like GitHub clone URL is converted for Flux. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn } from '../helpers/fleet-repo.js';
import { FLEET, cluster, writeFiles } from '../security/fleet.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-origin-'));
  writeFiles(dir, {
    'kiln.yaml': FLEET,
    'clusters/dev.yaml': cluster(),
    'profiles/app.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: app }\nspec:\n  clusters: [dev-1]\n  components: [{ name: cm, manifests: { paths: [cm.yaml] } }]\n',
    'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\n',
  });
  gitIn(dir, 'init', '--quiet', '-b', 'main');
  gitIn(dir, 'remote', 'add', 'origin', 'git@github.com:acme/fleet.git');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an scp-like origin (git@github.com:acme/fleet.git)', () => {
  it('bootstrap flux converts it to ssh://git@github.com/acme/fleet.git and says so', async () => {
    const r = await kiln('bootstrap', 'flux', '--cwd', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('  url: ssh://git@github.com/acme/fleet.git\n');
    expect(r.stderr).toBe(
      'warn: the fleet repo\'s origin "git@github.com:acme/fleet.git" is scp-like syntax, which Flux does not accept; using ssh://git@github.com/acme/fleet.git (pass --repo-url to choose another URL)\n',
    );
  });

  it('bootstrap argocd keeps it as it is (Argo CD takes scp-like URLs)', async () => {
    const r = await kiln('bootstrap', 'argocd', '--cwd', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('repoURL: git@github.com:acme/fleet.git\n');
    // no conversion note; only that this fleet says Flux applies its branches
    expect(r.stderr).not.toMatch(/scp-like/);
    expect(r.stderr).toMatch(/^warn: kiln\.yaml sets spec\.output\.appliedBy: flux, but these are Argo CD objects/);
  });

  it('an scp-like --repo-url the user typed is still refused for Flux, with the ssh:// form to write', async () => {
    const r = await kiln('bootstrap', 'flux', '--cwd', dir, '--repo-url', 'git@github.com:acme/fleet.git');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/scp-like syntax, which Flux does not accept \(write ssh:\/\/git@github\.com\/acme\/fleet\.git\)/);
  });
});
