/**
 * Signed rendered commits (KILN_GIT_SIGNING_KEY, SSH and OpenPGP) checked by the real `git verify-commit`,
 * and `.kiln/provenance.json` (spec.output.provenance): an in-toto statement whose subject is the
 * output path's tree id, checked against `git rev-parse <branch>:manifests`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, remoteBranches, showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir, setGenVersion } from '../helpers/gen-fleet.js';
import { defaultGlobals } from '../../src/commands/options.js';
import { promote } from '../../src/commands/promote.js';
import { createLogger } from '../../src/log/logger.js';
import { FakeScm, promoteFleet } from '../promote/helpers.js';

const env = (vars: Record<string, string | undefined>) => {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  return () => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
};

describe('signed rendered commits and branch provenance', () => {
  let repo: FleetRepo;
  let keys: string;
  beforeAll(() => {
    const dir = genFleetDir({ clusters: 3 });
    appendFileSync(path.join(dir, 'kiln.yaml'), '  output:\n    provenance: true\n');
    repo = makeFleetRepo(dir);
    rmSync(dir, { recursive: true, force: true });
    keys = mkdtempSync(path.join(os.tmpdir(), 'kiln-sign-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kiln-ci', '-f', path.join(keys, 'kiln')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'other', '-f', path.join(keys, 'other')]);
    const pub = execFileSync('cat', [path.join(keys, 'kiln.pub')], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(keys, 'allowed'), `kiln@kiln.invalid ${pub}\n`);
  });
  afterAll(() => {
    repo?.cleanup();
    rmSync(keys, { recursive: true, force: true });
  });

  const verify = (ref: string, allowed = path.join(keys, 'allowed')) => {
    try {
      execFileSync('git', ['-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', ref], { cwd: repo.remote, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
      return true;
    } catch {
      return false;
    }
  };

  it('with an SSH key every commit is signed, git verify-commit accepts it and rejects another key or a tampered commit', async () => {
    const restore = env({ KILN_GIT_SIGNING_KEY: path.join(keys, 'kiln'), KILN_GIT_SIGNING_FORMAT: 'ssh', KILN_CACHE_DIR: path.join(keys, 'cache') });
    try {
      const r = await kiln('publish', '--cwd', repo.fleet, '--json');
      expect(r.code, r.stderr).toBe(0);
    } finally {
      restore();
    }
    const branches = remoteBranches(repo.remote);
    expect(branches.size).toBe(3);
    for (const b of branches.keys()) {
      expect(gitIn(repo.remote, 'cat-file', 'commit', b)).toContain('-----BEGIN SSH SIGNATURE-----');
      expect(verify(b), b).toBe(true);
    }
    // a signer the verifier does not trust
    const otherPub = execFileSync('cat', [path.join(keys, 'other.pub')], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(keys, 'allowed-other'), `kiln@kiln.invalid ${otherPub}\n`);
    const first = [...branches.keys()][0]!;
    expect(verify(first, path.join(keys, 'allowed-other'))).toBe(false);
    // the same commit with its message changed keeps the signature but no longer matches it
    const raw = gitIn(repo.remote, 'cat-file', 'commit', first);
    const forged = execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: repo.remote, input: raw.replace('render:', 'render (edited):') + '\n', encoding: 'utf8' }).trim();
    expect(verify(forged)).toBe(false);
  });

  it('the branch carries .kiln/provenance.json: subject = tree id of the output path, materials from the metadata', () => {
    for (const b of remoteBranches(repo.remote).keys()) {
      const st = JSON.parse(showFile(repo.remote, b, '.kiln/provenance.json'));
      expect(st._type).toBe('https://in-toto.io/Statement/v1');
      expect(st.predicateType).toBe('https://slsa.dev/provenance/v1');
      expect(st.subject).toEqual([{ name: 'manifests', digest: { gitTree: gitIn(repo.remote, 'rev-parse', `${b}:manifests`) } }]);
      const meta = parse(showFile(repo.remote, b, '.kiln/metadata.yaml'));
      const deps = st.predicate.buildDefinition.resolvedDependencies as Array<{ uri?: string; name?: string; digest?: Record<string, string> }>;
      expect(deps[0]!.digest).toEqual({ gitCommit: meta.sourceCommit });
      const inputs = deps.filter((d) => d.name);
      expect(inputs.length).toBeGreaterThan(0);
      for (const d of inputs) expect(Object.values(d.digest ?? {}).join('') || JSON.stringify(d)).toMatch(/[0-9a-f]{64}|inputHash/);
      expect(st.predicate.buildDefinition.internalParameters.tools).toEqual(meta.tools);
      expect(st.predicate.runDetails.builder.version.kiln).toBe(meta.kilnVersion);
      expect(JSON.stringify(st)).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/); // no timestamps on the branch
    }
  });

  it('with an OpenPGP key (GNUPGHOME) a new commit is signed and verifies', async () => {
    const gnupg = mkdtempSync(path.join(os.tmpdir(), 'kiln-gpg-'));
    try {
      const gpgEnv = { ...process.env, GNUPGHOME: gnupg };
      execFileSync('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'kiln <kiln@kiln.invalid>', 'ed25519', 'sign', 'never'], { env: gpgEnv, stdio: 'ignore' });
      const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(execFileSync('gpg', ['--batch', '--with-colons', '--list-secret-keys'], { env: gpgEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))![1]!;
      setGenVersion(repo.fleet, '2');
      repo.commit('version 2');
      const restore = env({ KILN_GIT_SIGNING_KEY: fpr, KILN_GIT_SIGNING_FORMAT: undefined, GNUPGHOME: gnupg, KILN_CACHE_DIR: path.join(keys, 'cache') });
      try {
        const r = await kiln('publish', '--cwd', repo.fleet, '--json');
        expect(r.code, r.stderr).toBe(0);
      } finally {
        restore();
      }
      for (const b of remoteBranches(repo.remote).keys()) {
        expect(gitIn(repo.remote, 'cat-file', 'commit', b)).toContain('-----BEGIN PGP SIGNATURE-----');
        // git verify-commit exits 0 only for a good signature; --raw prints gpg's status lines on stderr
        const v = spawnSync('git', ['verify-commit', '--raw', b], { cwd: repo.remote, env: gpgEnv, encoding: 'utf8' });
        expect(v.status, v.stderr).toBe(0);
        expect(v.stderr).toContain(`VALIDSIG ${fpr}`);
      }
    } finally {
      rmSync(gnupg, { recursive: true, force: true });
    }
  });
});

describe('promote --pr signs its promotion commits', () => {
  it('with KILN_GIT_SIGNING_KEY every kiln/promote/* commit verifies; a tampered one does not', async () => {
    const repo = promoteFleet();
    const keys = mkdtempSync(path.join(os.tmpdir(), 'kiln-sign-pr-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kiln-ci', '-f', path.join(keys, 'kiln')]);
      writeFileSync(path.join(keys, 'allowed'), `kiln@kiln.invalid ${execFileSync('cat', [path.join(keys, 'kiln.pub')], { encoding: 'utf8' }).trim()}\n`);
      const verify = (ref: string) =>
        spawnSync('git', ['-c', `gpg.ssh.allowedSignersFile=${path.join(keys, 'allowed')}`, 'verify-commit', ref], { cwd: repo.remote, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).status === 0;
      const restore = env({ KILN_CACHE_DIR: path.join(keys, 'cache') });
      try {
        expect((await kiln('publish', '--cwd', repo.fleet)).code).toBe(0);
        setGenVersion(repo.fleet, '2');
        repo.commit('v2');
        expect((await kiln('publish', '--cwd', repo.fleet, '--env', 'dev')).code).toBe(0);
      } finally {
        restore();
      }
      const signed = env({ KILN_GIT_SIGNING_KEY: path.join(keys, 'kiln'), KILN_GIT_SIGNING_FORMAT: 'ssh', KILN_CACHE_DIR: path.join(keys, 'cache') });
      let r;
      try {
        const scm = new FakeScm();
        r = await promote(defaultGlobals({ cwd: repo.fleet, logger: createLogger({ level: 'silent' }) }), { to: 'staging', remote: 'origin', dryRun: false, pr: true, requireStatus: [], allowRollback: false, force: false }, { scm });
        expect(scm.prs.size).toBe(2);
      } finally {
        signed();
      }
      expect(r.requests).toHaveLength(2);
      for (const q of r.requests) {
        expect(gitIn(repo.remote, 'rev-parse', q.head)).toBe(q.commit);
        expect(gitIn(repo.remote, 'cat-file', 'commit', q.head)).toContain('-----BEGIN SSH SIGNATURE-----');
        expect(verify(q.head), q.head).toBe(true);
        // its parent is the live target head, as without signing
        expect(gitIn(repo.remote, 'rev-parse', `${q.head}^`)).toBe(gitIn(repo.remote, 'rev-parse', q.base));
      }
      const raw = gitIn(repo.remote, 'cat-file', 'commit', r.requests[0]!.head);
      const forged = execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: repo.remote, input: raw.replace('render:', 'render (edited):') + '\n', encoding: 'utf8' }).trim();
      expect(verify(forged)).toBe(false);
    } finally {
      repo.cleanup();
      rmSync(keys, { recursive: true, force: true });
    }
  });
});
