import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ENGINES } from '../config/schema-defs.js';
import { KilnError } from '../errors.js';
import { git } from '../git/git.js';
import { githubWorkflow, gitlabCi } from '../init/ci-files.js';
import { DEFAULT_ENGINES, ENVIRONMENTS, GITIGNORE_HEADER, GITIGNORE_LINES, engineFiles, fleetFiles } from '../init/scaffold.js';
import type { Engine } from '../model.js';
import type { GlobalOptions } from './options.js';

export type InitCi = 'github' | 'gitlab';

export interface InitOptions {
  ci?: InitCi;
  /** Default: helm, kustomize, manifests. */
  engines?: string[];
  dryRun?: boolean;
}

export interface InitFile {
  /** Relative to the fleet directory, posix. */
  path: string;
  /** `appended`: kiln's lines added to an existing .gitignore. */
  action: 'created' | 'appended';
}

export interface InitResult {
  dir: string;
  dryRun: boolean;
  engines: Engine[];
  ci?: InitCi;
  branch: string;
  files: InitFile[];
}

/** `kiln init`: a new fleet in g.cwd (plan every file, refuse if any exists, then write). */
export async function init(g: GlobalOptions, opts: InitOptions): Promise<InitResult> {
  const engines = parseEngines(opts.engines);
  if (opts.ci !== undefined && opts.ci !== 'github' && opts.ci !== 'gitlab') {
    throw new KilnError(`--ci "${String(opts.ci)}" is neither github nor gitlab`, { hint: 'kiln init --ci github (a workflow calling kiln\'s reusable workflow) or --ci gitlab (an include of its template)' });
  }
  const dir = g.cwd;
  const config = g.config ?? path.join(dir, 'kiln.yaml');
  if (await exists(config)) {
    throw new KilnError(`${config} already exists: this directory has a fleet`, { hint: 'kiln init starts a fleet from nothing; edit the existing one, or run kiln init --cwd <new dir>' });
  }
  const branch = await defaultBranch(dir);
  const files: Record<string, string> = { ...fleetFiles(fleetName(dir)) };
  for (const e of engines) Object.assign(files, engineFiles(e));
  if (opts.ci === 'github') files['.github/workflows/kiln.yml'] = githubWorkflow({ branch, environments: ENVIRONMENTS });
  if (opts.ci === 'gitlab') files['.gitlab-ci.yml'] = gitlabCi({ branch, environments: ENVIRONMENTS });

  // the plan: every file is new, or nothing is written
  const taken: string[] = [];
  for (const rel of Object.keys(files)) if (await exists(path.join(dir, rel))) taken.push(rel);
  if (taken.length) {
    throw new KilnError(`kiln init would overwrite ${taken.join(', ')} in ${dir}`, { hint: 'run it in an empty directory or a repo without these files' });
  }
  const ignore = await gitignorePlan(path.join(dir, '.gitignore'), opts.ci);
  const planned: InitFile[] = [...Object.keys(files).map((p) => ({ path: p, action: 'created' as const })), ...(ignore ? [{ path: '.gitignore', action: ignore.action }] : [])];
  planned.sort((a, b) => a.path.localeCompare(b.path));
  if (!opts.dryRun) {
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text, { flag: 'wx' });
    }
    if (ignore?.action === 'created') await writeFile(path.join(dir, '.gitignore'), ignore.text, { flag: 'wx' });
    if (ignore?.action === 'appended') await appendFile(path.join(dir, '.gitignore'), ignore.text);
    g.logger.info(`wrote a fleet with ${engines.join(', ')} profiles in ${dir}; next: kiln validate, kiln render --out rendered`);
  }
  return { dir, dryRun: Boolean(opts.dryRun), engines, ci: opts.ci, branch, files: planned };
}

export function formatInit(r: InitResult): string {
  const verb = r.dryRun ? 'would write' : 'wrote';
  return [...r.files.map((f) => `${verb} ${f.path}${f.action === 'appended' ? ' (kiln lines appended)' : ''}`)].join('\n');
}

function parseEngines(list: string[] | undefined): Engine[] {
  if (!list || list.length === 0) return [...DEFAULT_ENGINES];
  const out: Engine[] = [];
  for (const e of list) {
    if (!(ENGINES as readonly string[]).includes(e)) throw new KilnError(`--engines: "${e}" is not an engine`, { hint: `choose from ${ENGINES.join(', ')}` });
    if (!out.includes(e as Engine)) out.push(e as Engine);
  }
  return out;
}

async function gitignorePlan(file: string, ci: InitCi | undefined): Promise<{ action: 'created' | 'appended'; text: string } | undefined> {
  const lines = [...GITIGNORE_LINES, ...(ci === 'gitlab' ? ['/public/'] : [])];
  const old = await readFile(file, 'utf8').catch(() => undefined);
  if (old === undefined) return { action: 'created', text: `${GITIGNORE_HEADER}\n${lines.join('\n')}\n` };
  const have = new Set(old.split('\n').map((l) => l.trim()));
  const missing = lines.filter((l) => !have.has(l));
  if (!missing.length) return undefined;
  return { action: 'appended', text: `${old.endsWith('\n') || old === '' ? '' : '\n'}${GITIGNORE_HEADER}\n${missing.join('\n')}\n` };
}

/** The branch pushes publish from: the repo's current branch, `main` outside a repo. */
async function defaultBranch(dir: string): Promise<string> {
  try {
    const b = (await git(undefined, ['-C', dir, 'symbolic-ref', '--quiet', '--short', 'HEAD'])).stdout.trim();
    return b || 'main';
  } catch {
    return 'main';
  }
}

/** metadata.name must be a DNS-1123 label: the directory's name, cleaned. */
function fleetName(dir: string): string {
  const n = path.basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return /^[a-z0-9]/.test(n) ? n : 'fleet';
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
