#!/usr/bin/env node
// kiln needs Node 22+. On an older node, re-run under the Node 24 that `npm run setup` installs
// (KILN_TOOLS_DIR, default ~/.cache/kiln-tools), or say how to get one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const tools = process.env.KILN_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'kiln-tools');
  const node = path.join(tools, 'bin', 'node');
  if (existsSync(node) && !process.env.KILN_REEXEC) {
    const r = spawnSync(node, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, KILN_REEXEC: '1' } });
    process.exit(r.status ?? 1);
  }
  process.stderr.write(`error: kiln needs Node.js 22 or newer (this is ${process.version}); run \`npm run setup\` to install Node 24 into ${tools}/bin\n`);
  process.exit(1);
}
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
// reap the spawner, so the programs it ran count in this process's CPU time (`time kiln …`)
await (await import('../dist/exec/spawner.js')).closeSpawner();
