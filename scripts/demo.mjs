// The README's demo: copy the example fleet (fixtures/fleet) into a fresh git repo, render it and
// publish every cluster to its own branch of a local bare repo, then show where to look.
// Runs through scripts/run.sh, so Node 24 and the pinned tools are on PATH. Safe to rerun.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const demo = path.join(root, 'demo-out');
const fleet = path.join(demo, 'fleet');
const remote = path.join(demo, 'origin.git');
const env = { ...process.env, GIT_AUTHOR_NAME: 'demo', GIT_AUTHOR_EMAIL: 'demo@example.com', GIT_COMMITTER_NAME: 'demo', GIT_COMMITTER_EMAIL: 'demo@example.com' };
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'inherit', env, ...opts });
const capture = (cmd, args) => execFileSync(cmd, args, { env, encoding: 'utf8' });
const rel = (p) => path.relative(process.cwd(), p) || '.';
const kiln = (...args) => {
  console.log(`\n$ kiln ${args.join(' ')}`);
  run(process.execPath, [path.join(root, 'bin/kiln.js'), ...args], { cwd: fleet });
};

rmSync(demo, { recursive: true, force: true });
mkdirSync(demo, { recursive: true });
cpSync(path.join(root, 'fixtures/fleet'), fleet, { recursive: true });
run('git', ['init', '--quiet', '--bare', remote]);
run('git', ['init', '--quiet', '-b', 'main'], { cwd: fleet });
run('git', ['add', '-A'], { cwd: fleet });
run('git', ['commit', '--quiet', '-m', 'example fleet'], { cwd: fleet });
run('git', ['remote', 'add', 'origin', remote], { cwd: fleet });
run('git', ['push', '--quiet', 'origin', 'main'], { cwd: fleet });
console.log(`fleet repo: ${rel(fleet)}  (a copy of fixtures/fleet, pushed to its origin)\norigin:     ${rel(remote)}  (bare; kiln publishes the rendered branches beside main)`);

kiln('validate');
kiln('ls', '--why');
kiln('render', '--out', path.join(demo, 'rendered'));
kiln('publish');
kiln('publish'); // a second publish finds nothing to change and makes no commit
kiln('bootstrap', 'flux', '--cluster', 'prod-eu-1', '--repo-url', 'https://git.example.com/platform/fleet.git');

const branch = 'rendered/prod/prod-eu-1';
console.log(`\n$ git --git-dir ${rel(remote)} branch --list`);
process.stdout.write(capture('git', ['--git-dir', remote, 'branch', '--list']));
console.log(`\n$ git --git-dir ${rel(remote)} ls-tree -r --name-only ${branch}`);
process.stdout.write(capture('git', ['--git-dir', remote, 'ls-tree', '-r', '--name-only', branch]));
console.log(`\n$ git --git-dir ${rel(remote)} log -1 ${branch}`);
process.stdout.write(capture('git', ['--git-dir', remote, 'log', '-1', branch]));
console.log(`\n$ git --git-dir ${rel(remote)} show ${branch}:.kiln/metadata.yaml | head -20`);
process.stdout.write(capture('git', ['--git-dir', remote, 'show', `${branch}:.kiln/metadata.yaml`]).split('\n').slice(0, 20).join('\n') + '\n  …\n');
console.log(`
Where to look:
  ${rel(path.join(demo, 'rendered'))}/<cluster>/   what each branch holds, as plain files (kiln render)
  ${rel(remote)}                    the published branches: git clone ${rel(remote)} -b ${branch}`);
