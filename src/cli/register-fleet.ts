/** The fleet commands: init, validate, ls, render, publish, bootstrap. */
import type { Command } from 'commander';
import type { BootstrapTarget, DestinationMode } from '../commands/bootstrap.js';
import type { InitCi } from '../commands/init.js';
import { errorJson, ExitCode, InterruptedError, KilnError, KilnErrors, warningLine } from '../errors.js';
import { publicRepoUrl } from '../git/source.js';
import { resolveRemote } from '../publish/remote-url.js';
import { addSelection, collect, globals, print as printTo, selection, str, type CliContext } from './context.js';

export function registerFleetCommands(program: Command, { io, state }: CliContext): void {
  const print = (g: Parameters<typeof printTo>[1], data: unknown, text: string) => printTo(io, g, data, text);
  program
    .command('init')
    .description('start a fleet from nothing in --cwd: kiln.yaml, one cluster file, a profile per engine, .gitignore, CI files')
    .option('--ci <forge>', 'also write the CI files: github (a workflow calling kiln\'s reusable workflow) or gitlab (an include of its template)')
    .option('--engines <list>', 'profiles to write, comma-separated: helm, kustomize, jsonnet, ytt, manifests (default helm,kustomize,manifests)', collect)
    .option('--dry-run', 'list the files, write nothing')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const { formatInit, init } = await import('../commands/init.js');
      const r = await init(g, { ci: str(o, 'ci') as InitCi | undefined, engines: o.engines as string[] | undefined, dryRun: Boolean(o.dryRun) });
      print(g, r, formatInit(r));
    });

  program
    .command('validate')
    .description('check schemas, references, selectors, templates and paths; needs no render tools')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd, io);
      const { formatValidate, validate } = await import('../commands/validate.js');
      let r;
      try {
        r = await validate(g);
      } catch (e) {
        // --json: the errors as data on stdout too (the exit code and stderr lines stay as they are)
        if (g.json && e instanceof KilnError && !(e instanceof InterruptedError)) print(g, { ok: false, errors: (e instanceof KilnErrors ? e.errors : [e]).map(errorJson) }, '');
        throw e;
      }
      for (const w of r.warnings) g.logger.warn(warningLine(w));
      print(g, r, formatValidate(r));
    });

  addSelection(program.command('ls'))
    .description('the cluster × profile matrix: which profile lands where, and why')
    .option('--why', 'show why each profile selects each cluster')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const { formatLs, ls } = await import('../commands/ls.js');
      const r = await ls(g, selection(o));
      for (const w of r.warnings) g.logger.warn(warningLine(w));
      print(g, r, formatLs(r, { why: Boolean(o.why) }));
    });

  addSelection(program.command('render'))
    .description('render the selected clusters into <out>/<cluster>/, exactly as their branches would hold them')
    .requiredOption('--out <dir>', 'output directory')
    .option('--no-check', 'skip the schema, API and policy checks (exit 1 when they find errors)')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const { formatRender, render } = await import('../commands/render.js');
      const r = await render(g, { ...selection(o), out: String(o.out), noCheck: o.check === false });
      print(g, r, formatRender(r));
      if (r.checks?.errors) state.exitCode = ExitCode.user;
    });

  addSelection(program.command('publish'))
    .description('render and commit each cluster to its branch on the remote (one commit per changed branch)')
    .option('--remote <remote>', 'remote name of the fleet repo, URL or path', 'origin')
    .option('--dry-run', 'render and compare, print the plan, push nothing')
    .option('--from <dir>', 'publish the output of a previous `kiln render --out <dir>`')
    .option('--force', 'overwrite branches whose source commit cannot be ordered against ours')
    .option('--allow-dirty', 'publish from a work tree with uncommitted changes')
    .option('--allow-unpushed', 'publish a source commit that is on no branch of the fleet repo\'s remote')
    .option('--break-glass <reason>', 'publish into a deploy freeze; the reason is recorded as a Kiln-Break-Glass trailer')
    .option('--no-check', 'skip the schema, API and policy checks of what is published')
    .option('--allow-failing-checks', 'publish even when the checks find errors')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const { formatPublish, publish } = await import('../commands/publish.js');
      const r = await publish(g, {
        ...selection(o),
        remote: String(o.remote),
        dryRun: Boolean(o.dryRun),
        from: o.from === undefined ? undefined : String(o.from),
        force: Boolean(o.force),
        allowDirty: Boolean(o.allowDirty),
        allowUnpushed: Boolean(o.allowUnpushed),
        breakGlass: str(o, 'breakGlass'),
        noCheck: o.check === false,
        allowFailingChecks: Boolean(o.allowFailingChecks),
      });
      print(g, r, formatPublish(r));
      state.exitCode = r.exitCode;
    });

  addSelection(program.command('bootstrap'))
    .description('emit the Flux or Argo CD objects that point each cluster at its rendered branch')
    .argument('<target>', 'flux or argocd')
    .option('--repo-url <url>', 'git URL the clusters pull rendered branches from (default: the fleet repo\'s origin)')
    .option('--out <dir>', 'write one file per cluster instead of one stream on stdout')
    .option('--application-set', 'argocd: one ApplicationSet with a list generator')
    .option('--namespace <ns>', 'namespace of the emitted objects (default flux-system / argocd)')
    .option('--interval <duration>', 'flux: reconcile interval (default 5m)')
    .option('--timeout <duration>', 'flux: Kustomization timeout (default 5m)')
    .option('--secret-ref <name>', 'flux: Secret with the git credentials')
    .option('--destination-server <mode>', 'argocd: in-cluster or from-label (hub Argo CD)')
    .option('--source <kind>', 'git (the rendered branches, default) or oci (the artifacts of spec.output.oci)')
    .option('--verify-secret <name>', 'flux --source oci: Secret holding cosign.pub; OCIRepository verifies signatures')
    .action(async (target: string, o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const { bootstrap, formatBootstrap } = await import('../commands/bootstrap.js');
      const flag = str(o, 'repoUrl');
      const r = await bootstrap(g, {
        ...selection(o),
        target: target as BootstrapTarget,
        repoUrl: flag ?? (str(o, 'source') === 'oci' ? undefined : await originUrl(g.cwd)),
        repoUrlFrom: flag === undefined ? 'origin' : 'flag',
        source: str(o, 'source') as 'git' | 'oci' | undefined,
        verifySecret: str(o, 'verifySecret'),
        out: str(o, 'out'),
        applicationSet: Boolean(o.applicationSet),
        namespace: str(o, 'namespace'),
        interval: str(o, 'interval'),
        timeout: str(o, 'timeout'),
        secretRef: str(o, 'secretRef'),
        destinationServer: str(o, 'destinationServer') as DestinationMode | undefined,
      });
      for (const w of r.warnings) g.logger.warn(warningLine(w));
      print(g, r, formatBootstrap(r));
    });

}

/** Rendered branches usually live beside the source: default to the fleet repo's origin, without credentials. */
async function originUrl(cwd: string): Promise<string> {
  try {
    return publicRepoUrl(await resolveRemote(cwd, 'origin'));
  } catch {
    throw new KilnError('--repo-url is required: the fleet repo has no origin remote to default to', { hint: 'pass the git URL the clusters can pull from' });
  }
}

