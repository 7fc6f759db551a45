#!/usr/bin/env node
// kiln needs Node ^22.12 or >=24 (package.json engines). On another node, re-run under the Node in kiln's tools dir (KILN_TOOLS_DIR,
// default ~/.cache/kiln-tools: the source checkout's setup puts Node 24 there), or say how to get one.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [major, minor] = process.versions.node.split('.').map(Number);
if (!(major >= 24 || (major === 22 && minor >= 12))) {
  const tools = process.env.KILN_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'kiln-tools');
  const node = path.join(tools, 'bin', 'node');
  if (existsSync(node) && !process.env.KILN_REEXEC) {
    // the newer node runs kiln; an interrupt sent to this process (Ctrl-C, CI cancelling a job) is
    // passed on once (the child has its own process group, so a terminal's Ctrl-C does not reach it
    // twice), and this one exits as that one did: 130/143 after its clean-up, never before it
    const child = spawn(node, process.argv.slice(1), { stdio: 'inherit', detached: true, env: { ...process.env, KILN_REEXEC: '1' } });
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
    const code = await new Promise((resolve) => {
      child.on('error', () => resolve(1));
      child.on('exit', (status, signal) => resolve(status ?? 128 + (signal ? os.constants.signals[signal] ?? 0 : 1)));
    });
    process.exit(code);
  }
  const dir = path.join(tools, 'node-24');
  process.stderr.write(
    `error: kiln needs Node.js 22.12+ or 24+ (this is ${process.version}): install Node 24, or put it where kiln looks for it:\n` +
      `  npm install --prefix ${dir} node@24 && mkdir -p ${tools}/bin && ln -sfn ${dir}/node_modules/node/bin/node ${node}\n`,
  );
  process.exit(1);
}
// the CLI and its dependencies bundled (scripts/bundle.mjs, part of `npm run build`)
const { capHeap, closeSpawner, main } = await import('../dist/bundle/kiln.js');
// ceilings on V8's heap (src/util/heap-ceiling.ts): peak RSS at 10,000 clusters
capHeap();
process.exitCode = await main(process.argv.slice(2));
// reap the spawner, so the programs it ran count in this process's CPU time (`time kiln …`)
await closeSpawner();
