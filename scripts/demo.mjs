// The README's demo: render the example fleet in fixtures/fleet and show where the output is.
// Runs through scripts/run.sh, so Node 24 and the pinned tools are on PATH.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fleet = path.join(root, 'fixtures/fleet');
const out = path.join(root, 'demo-out/rendered');
const kiln = (...args) => execFileSync(process.execPath, [path.join(root, 'bin/kiln.js'), '--cwd', fleet, ...args], { stdio: 'inherit' });

console.log('\n$ kiln validate');
kiln('validate');
console.log('\n$ kiln ls --why');
kiln('ls', '--why');
console.log(`\n$ kiln render --out ${path.relative(root, out)}`);
kiln('render', '--out', out);

const walk = (dir) =>
  readdirSync(dir)
    .sort()
    .flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? walk(path.join(dir, f)) : [path.join(dir, f)]));
const sample = path.join(out, 'prod-eu-1');
console.log(`\nOne cluster's tree (${path.relative(root, sample)}):`);
for (const f of walk(sample)) console.log('  ' + path.relative(sample, f));
console.log(`\n${path.relative(root, path.join(sample, '.kiln/metadata.yaml'))}:`);
console.log(readFileSync(path.join(sample, '.kiln/metadata.yaml'), 'utf8').split('\n').slice(0, 14).join('\n') + '\n  …');
console.log(`\nDone. Every cluster's files are under ${out}/<cluster>/`);
