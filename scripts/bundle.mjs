// Bundles the compiled CLI (dist/, from tsc) and its npm dependencies into dist/bundle/, which
// bin/kiln.js runs: Node then resolves, reads and compiles a few dozen chunks instead of every
// module file (each command still loads only its own chunks). Two levels below the package root,
// like dist/cli/, so paths that modules take from import.meta.url (templates/, package.json, the
// tools dir) hold in both.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'bundle');
rmSync(out, { recursive: true, force: true });
const { output } = await build({
  input: {
    kiln: path.join(root, 'dist/cli/bin-entry.js'),
    // forked by path (exec/spawner.ts): it must sit beside the chunk that forks it
    'spawner-child': path.join(root, 'dist/exec/spawner-child.js'),
  },
  platform: 'node',
  // ajv is loaded with createRequire when a file must be validated: left to Node's resolution
  external: ['ajv', 'ajv-formats'],
  logLevel: 'warn',
  output: { dir: out, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js', sourcemap: false },
});
// which modules each chunk holds (paths from the package root): what a test of what a command
// loads reads, as it read the module files before the bundle
const chunks = Object.fromEntries(output.filter((o) => o.type === 'chunk').map((c) => [c.fileName, c.moduleIds.filter((m) => !m.startsWith('\0')).map((m) => path.relative(root, m))]));
writeFileSync(path.join(out, 'chunks.json'), `${JSON.stringify(chunks, null, 1)}\n`);
