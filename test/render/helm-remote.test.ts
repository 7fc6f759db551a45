import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecScope } from '../../src/exec/scope.js';
import { chartKey } from '../../src/render/helm.js';
import { RunMemo } from '../../src/util/run-memo.js';
import { renderComponent } from '../../src/render/index.js';
import type { ToolSet } from '../../src/render/renderer.js';
import { asSet, context, copyFleet, direct, helm, HELM_BINARIES, helmEnv, parse, realTools, removeTempDirs, tempDir, toolsWithHelm } from './helpers.js';

let root: string;
let repoDir: string;
let server: Server;
let repoUrl: string;
const hits = new Map<string, number>();
let registry: ChildProcess | undefined;
let registryPort = 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForRegistry(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the registry binary exited (${child.exitCode}): ${log()}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/`);
      if (r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the registry binary did not answer on 127.0.0.1:${port} within 20s: ${log()}`);
}

beforeAll(async () => {
  root = copyFleet();
  const helmBin = (await realTools()).helm!.path;
  repoDir = tempDir('kiln-chart-repo-');
  direct(helmBin, ['package', path.join(root, 'charts/app'), '--destination', repoDir], root, helmEnv());

  // A classic chart repository: index.yaml + .tgz over plain HTTP, counting requests per path.
  server = createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    hits.set(p, (hits.get(p) ?? 0) + 1);
    const file = path.join(repoDir, path.basename(p));
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  repoUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  direct(helmBin, ['repo', 'index', repoDir, '--url', repoUrl], root, helmEnv());

  // An OCI registry: go-containerregistry's `registry` from the tools dir, in memory.
  const registryBin = path.join(path.dirname(helmBin), 'registry');
  if (!existsSync(registryBin)) throw new Error(`no registry binary beside helm (${registryBin}): run npm run setup`);
  registryPort = await freePort();
  let log = '';
  registry = spawn(registryBin, ['-port', String(registryPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
  registry.stdout!.on('data', (d) => (log += d));
  registry.stderr!.on('data', (d) => (log += d));
  await waitForRegistry(registryPort, registry, () => log.slice(-2000));
  const tgz = path.join(repoDir, 'app-0.1.0.tgz');
  direct(helmBin, ['push', tgz, `oci://127.0.0.1:${registryPort}/charts`, '--plain-http'], root, helmEnv());
});

afterAll(async () => {
  registry?.kill('SIGKILL');
  await new Promise((r) => server?.close(r));
  removeTempDirs();
});

function directFromArchive(tools: ToolSet, args: string[]): ReturnType<typeof parse> {
  return parse(direct(tools.helm!.path, ['template', 'rel', path.join(repoDir, 'app-0.1.0.tgz'), ...args], root, helmEnv()));
}

describe.each(HELM_BINARIES)('helm renderer, remote charts, under %s', (bin) => {
  let tools: ToolSet;
  beforeAll(async () => {
    tools = await toolsWithHelm(bin);
  });

  it('renders a chart from an HTTP repository, pulling the archive once and then using the cache', async () => {
    const c = helm({ chart: 'app', repo: repoUrl, version: '0.1.0', namespace: 'web' });
    const session = { exec: new ExecScope(), memo: new RunMemo() };
    const ctx = await context(root, { tools, session });
    const before = hits.get('/app-0.1.0.tgz') ?? 0;

    // two concurrent renders of one run share one pull
    const [a, b] = await Promise.all([renderComponent(c, ctx), renderComponent(c, ctx)]);
    await session.exec.close();
    expect(hits.get('/app-0.1.0.tgz')).toBe(before + 1);
    expect(asSet(a.objects)).toEqual(asSet(b.objects));
    expect(asSet(a.objects)).toEqual(asSet(directFromArchive(tools, ['--namespace', 'web', '--kube-version', '1.31.4', '--include-crds', '--skip-tests'])));
    expect(a.command).toEqual(['helm', 'template', 'rel', 'app', '--repo', repoUrl, '--version', '0.1.0', '--namespace', 'web', '--kube-version', '1.31.4', '--include-crds', '--skip-tests']);

    // the archive sits in <cacheDir>/charts/<sha256(repo|chart|version)>/, nothing else left behind
    const key = chartKey(repoUrl, 'app', '0.1.0');
    expect(readdirSync(path.join(ctx.cacheDir, 'charts'))).toEqual([key]);
    expect(readdirSync(path.join(ctx.cacheDir, 'charts', key))).toEqual(['app-0.1.0.tgz']);

    // a later render (any process with the same cache dir) downloads nothing
    const again = await renderComponent(c, await context(root, { tools, cacheDir: ctx.cacheDir }));
    expect(hits.get('/app-0.1.0.tgz')).toBe(before + 1);
    expect(asSet(again.objects)).toEqual(asSet(a.objects));
  });

  it('renders a chart from an OCI registry over plain HTTP (insecure: true)', async () => {
    const ref = `oci://127.0.0.1:${registryPort}/charts/app`;
    const c = helm({ chart: ref, version: '0.1.0', insecure: true, values: { greeting: 'oci' } });
    const ctx = await context(root, { tools });
    const out = await renderComponent(c, ctx);
    const deploy = out.objects.find((o) => o.kind === 'Deployment')!;
    expect((deploy.spec as any).template.spec.containers[0].env[0].value).toBe('oci');
    expect(out.command.slice(0, 7)).toEqual(['helm', 'template', 'rel', ref, '--version', '0.1.0', '--plain-http']);
    expect(readdirSync(path.join(ctx.cacheDir, 'charts', chartKey('', ref, '0.1.0')))).toEqual(['app-0.1.0.tgz']);
    expect(out.objects.length).toBe(directFromArchive(tools, ['--namespace', 'default', '--include-crds', '--skip-tests']).length);
  });

  it('refuses a remote chart without an exact version', async () => {
    const ctx = await context(root, { tools });
    await expect(renderComponent(helm({ chart: 'app', repo: repoUrl }), ctx)).rejects.toThrow(/needs an exact version/);
    await expect(renderComponent(helm({ chart: 'app', repo: repoUrl, version: '^0.1.0' }), ctx)).rejects.toThrow(/needs an exact version/);
  });

  it('surfaces helm pull errors for a chart the repository does not have', async () => {
    const ctx = await context(root, { tools });
    const err = await renderComponent(helm({ chart: 'nope', repo: repoUrl, version: '1.0.0' }), ctx).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('KilnError');
    expect((err as Error).message).toMatch(/^profile "ingress", component "main", cluster "dev-1": helm pull failed: .*chart "nope" version "1.0.0" not found/);
  });
});
