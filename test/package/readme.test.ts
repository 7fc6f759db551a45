/** The README says what kiln needs and where things are: the Node range of package.json, every folder of the repo. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/fleet-repo.js';

const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
const section = (title: string) => {
  const at = readme.indexOf(`\n${title}\n`);
  expect(at, title).toBeGreaterThan(0);
  const rest = readme.slice(at + title.length + 2);
  return rest.slice(0, rest.search(/\n#{2,3} /) + 1 || undefined);
};

describe('README', () => {
  it('states the Node range package.json enforces, and bin/kiln.js agrees', () => {
    const engines = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(section('## Try it')).toContain(`Node.js \`${engines}\``);
    expect(readme).not.toMatch(/Node\.js \(≥ ?20/);
    // "^22.12.0 || >=24.0.0": bin/kiln.js and setup.sh accept exactly that
    const [, maj, min, next] = /^\^(\d+)\.(\d+)\.0 \|\| >=(\d+)\.0\.0$/.exec(engines)!;
    expect(readFileSync(path.join(projectRoot, 'bin/kiln.js'), 'utf8')).toContain(`major >= ${next} || (major === ${maj} && minor >= ${min})`);
    expect(readFileSync(path.join(projectRoot, 'scripts/setup.sh'), 'utf8')).toContain(`a >= ${next} || (a === ${maj} && b >= ${min})`);
  });

  it('the layout section lists every folder of the repo and every src/ folder', () => {
    const layout = section('### Layout');
    const tracked = execFileSync('git', ['-C', projectRoot, 'ls-files'], { encoding: 'utf8' }).split('\n').filter((f) => f.includes('/'));
    const top = [...new Set(tracked.map((f) => f.split('/')[0]!))].sort();
    const src = readdirSync(path.join(projectRoot, 'src'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    const missing = [...top.map((d) => `${d}/`), ...src.map((d) => `  ${d}/`)].filter((d) => !new RegExp(`^${d.replace(/[.]/g, '\\.')} `, 'm').test(layout));
    expect(missing).toEqual([]);
  });
});
