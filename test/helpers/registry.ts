/**
 * go-containerregistry's `registry` (pinned in scripts/setup.sh) on 127.0.0.1, in memory, behind a
 * small counting proxy: tests read which calls a publish made (a republish must upload nothing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { which } from './tools.js';

export interface LocalRegistry {
  /** host:port of the proxy (what fleets point at). */
  host: string;
  /** `METHOD path` of every call since the last `reset()`. */
  calls: string[];
  reset(): void;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<LocalRegistry> {
  // beside helm in the tools dir (`registry --help` would start serving, so `which` cannot probe it)
  const bin = path.join(path.dirname(which('helm')), 'registry');
  if (!existsSync(bin)) throw new Error(`no registry binary beside helm (${bin}): run npm run setup`);
  const port = await freePort();
  let log = '';
  const child: ChildProcess = spawn(bin, ['-port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  await waitFor(port, child, () => log.slice(-2000));
  const calls: string[] = [];
  const proxy: Server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    const up = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${port}` } }, (r) => {
      const headers = { ...r.headers };
      // upload locations name the upstream port: send clients back through the proxy
      if (typeof headers.location === 'string') headers.location = headers.location.replace(`127.0.0.1:${port}`, host);
      res.writeHead(r.statusCode ?? 502, headers);
      r.pipe(res);
    });
    up.on('error', (e) => res.writeHead(502).end(String(e)));
    req.pipe(up);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  return {
    host,
    calls,
    reset: () => void calls.splice(0),
    stop: async () => {
      child.kill('SIGKILL');
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitFor(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the registry binary exited (${child.exitCode}): ${log()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/v2/`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the registry did not answer on 127.0.0.1:${port} within 20s: ${log()}`);
}
