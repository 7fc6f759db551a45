import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderComponent } from '../../src/render/index.js';
import type { ToolSet } from '../../src/render/renderer.js';
import { asSet, cluster, context, copyFleet, direct, helm, HELM_BINARIES, helmEnv, names, parse, removeTempDirs, tempDir, toolsWithHelm } from './helpers.js';

afterAll(removeTempDirs);

let root: string;
beforeAll(() => {
  root = copyFleet();
});

describe.each(HELM_BINARIES)('helm renderer, local chart, under %s', (bin) => {
  let tools: ToolSet;
  beforeAll(async () => {
    tools = await toolsWithHelm(bin);
  });

  it('returns the same objects as helm template run directly with the same arguments', async () => {
    const c = helm({
      chart: 'charts/app',
      namespace: 'apps',
      valuesFiles: [
        { path: 'values/base.yaml', optional: false },
        { path: 'values/missing.yaml', optional: true },
        { path: 'values/dev.yaml', optional: false },
      ],
      values: { replicas: 5, sub: { color: 'on' } },
    });
    const ctx = await context(root, { tools, cluster: cluster({ kubeVersion: '1.29.3', apiVersions: ['monitoring.coreos.com/v1'] }) });
    const out = await renderComponent(c, ctx);

    const inline = path.join(ctx.tmpDir, 'direct-values.json');
    writeFileSync(inline, JSON.stringify({ replicas: 5, sub: { color: 'on' } }));
    const args = ['template', 'rel', 'charts/app', '--namespace', 'apps', '--kube-version', '1.29.3', '--api-versions', 'monitoring.coreos.com/v1', '--include-crds', '--skip-tests', '-f', 'values/base.yaml', '-f', 'values/dev.yaml', '-f', inline];
    const expected = parse(direct(tools.helm!.path, args, root, helmEnv()));
    expect(asSet(out.objects)).toEqual(asSet(expected));

    // the argv with repo-relative paths, the optional absent file skipped, inline values last and shown by role
    expect(out.command).toEqual(['helm', ...args.slice(0, -1), '<inline-values>']);
    const deploy = out.objects.find((o) => o.kind === 'Deployment')!;
    expect((deploy.spec as { replicas: number }).replicas).toBe(5);
    expect(deploy.metadata.namespace).toBe('apps');
    // later values files win, inline values win over them; "on" stays a string
    const env = (deploy.spec as any).template.spec.containers[0].env[0];
    expect(env.value).toBe('from-dev');
    expect(out.objects.find((o) => o.metadata.name === 'rel-sub')!.data).toEqual({ color: 'on' });
  });

  it('renders the vendored dependency subchart and the CRDs from crds/', async () => {
    const out = await renderComponent(helm({ chart: 'charts/app' }), await context(root, { tools }));
    expect(names(out.objects)).toContain('ConfigMap/rel-sub');
    expect(names(out.objects)).toContain('CustomResourceDefinition/gadgets.test.kiln.dev');
    const without = await renderComponent(helm({ chart: 'charts/app', includeCRDs: false }), await context(root, { tools }));
    expect(names(without.objects)).not.toContain('CustomResourceDefinition/gadgets.test.kiln.dev');
  });

  it('passes the cluster kubeVersion and apiVersions into .Capabilities', async () => {
    const caps = async (kubeVersion: string, apiVersions: string[]) => {
      const ctx = await context(root, { tools, cluster: cluster({ kubeVersion, apiVersions }) });
      const out = await renderComponent(helm({ chart: 'charts/app' }), ctx);
      return out.objects.find((o) => o.metadata.name === 'rel-caps')!.data as Record<string, string>;
    };
    expect(await caps('1.31.4', ['monitoring.coreos.com/v1'])).toEqual({ kubeVersion: 'v1.31.4', pdbApi: 'policy/v1', hasMonitoring: 'true' });
    expect(await caps('1.28.2', [])).toEqual({ kubeVersion: 'v1.28.2', pdbApi: 'policy/v1beta1', hasMonitoring: 'false' });
  });

  it('drops test hooks when skipTests (default), keeps them otherwise; keeps the pre-install hook with its annotations', async () => {
    const skipped = await renderComponent(helm({ chart: 'charts/app' }), await context(root, { tools }));
    expect(names(skipped.objects)).not.toContain('Pod/rel-smoke');
    expect(names(skipped.objects)).not.toContain('Pod/rel-test-connection');
    const job = skipped.objects.find((o) => o.metadata.name === 'rel-migrate')!;
    expect(job.metadata.annotations).toEqual({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '-5' });

    const kept = await renderComponent(helm({ chart: 'charts/app', skipTests: false }), await context(root, { tools }));
    expect(names(kept.objects)).toEqual(expect.arrayContaining(['Pod/rel-smoke', 'Pod/rel-test-connection', 'Job/rel-migrate']));
    expect(kept.command).not.toContain('--skip-tests');
  });

  it('uses namespace "default" when the spec has none, and the command is deterministic', async () => {
    const c = helm({ chart: 'charts/app', values: { replicas: 3 } });
    const a = await renderComponent(c, await context(root, { tools }));
    const b = await renderComponent(c, await context(root, { tools }));
    expect(a.command).toEqual(b.command);
    expect(a.command.slice(0, 6)).toEqual(['helm', 'template', 'rel', 'charts/app', '--namespace', 'default']);
    expect(a.objects.find((o) => o.kind === 'Deployment')!.metadata.namespace).toBe('default');
  });

  it('cleans up its scratch files', async () => {
    const ctx = await context(root, { tools });
    await renderComponent(helm({ chart: 'charts/app', values: { a: 1 } }), ctx);
    expect(readdirSync(ctx.tmpDir)).toEqual([]);
  });

  it('also drops test hooks helm itself let through (post-filter), any spelling of the test event', async () => {
    // A stand-in helm whose output carries test hooks despite --skip-tests.
    const dir = tempDir();
    const doc = (name: string, hook: string) => `---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  annotations:\n    helm.sh/hook: "${hook}"\n`;
    const out = [doc('t1', 'test'), doc('t2', 'pre-install, test-success'), doc('keep', 'post-install'), doc('keep2', 'contest')].join('');
    writeFileSync(path.join(dir, 'helm'), `#!/bin/sh\ncat <<'EOF'\n${out}EOF\n`);
    chmodSync(path.join(dir, 'helm'), 0o755);
    const fake = { helm: { name: 'helm' as const, path: path.join(dir, 'helm'), version: 'v3.22.0' } };
    const skipped = await renderComponent(helm({ chart: 'charts/app' }), await context(root, { tools: fake as ToolSet }));
    expect(names(skipped.objects)).toEqual(['Pod/keep', 'Pod/keep2']);
    const kept = await renderComponent(helm({ chart: 'charts/app', skipTests: false }), await context(root, { tools: fake as ToolSet }));
    expect(names(kept.objects)).toEqual(['Pod/t1', 'Pod/t2', 'Pod/keep', 'Pod/keep2']);
  });
});
