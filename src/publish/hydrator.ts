/**
 * Argo CD Source Hydrator interop (`spec.output.hydrator: true`), so GitOps Promoter can drive the
 * promotions of kiln's branches. What Argo CD's commit server writes and the promoter reads (checked
 * against argoproj/argo-cd commitserver/commit/hydratorhelper.go, util/hydrator/hydrator.go,
 * util/git/client.go `GetReferences`, and argoproj-labs/gitops-promoter docs/advanced-usage/custom-hydrator.md):
 *  - hydrated commits go to the proposed branch `<branch>-next` (the suffix is fixed in the promoter),
 *    which starts from the active branch when it has to be created;
 *  - each commit carries `hydrator.metadata` at the branch root: JSON (two-space indent, a final
 *    newline, no HTML escaping) with `repoURL`, `drySha`, `author`, `date`, `subject`, `body` and
 *    `references`, empty fields left out;
 *  - `references` come from the dry commit's `Argocd-reference-commit-*` trailers, which `body` then
 *    leaves out.
 */
import { KilnError } from '../errors.js';
import { run } from '../exec/exec.js';
import { HYDRATOR_METADATA } from '../git/objects.js';
import type { RenderedBranch } from './publish.js';

export const NEXT_SUFFIX = '-next';

export const nextBranch = (branch: string) => `${branch}${NEXT_SUFFIX}`;
export const activeBranch = (next: string) => (next.endsWith(NEXT_SUFFIX) ? next.slice(0, -NEXT_SUFFIX.length) : next);

interface CommitMetadata {
  author?: string;
  date?: string;
  subject?: string;
  body?: string;
  sha?: string;
  repoUrl?: string;
}

/** The dry (source) commit as Argo CD describes it: author, date, subject, body and its references. */
export async function hydratorMetadata(root: string, repoURL: string, drySha: string): Promise<string> {
  const { stdout } = await run('git', ['-C', root, 'show', '-s', '--format=%an <%ae>%x00%aI%x00%B', drySha], { timeoutMs: 30_000 });
  const [author = '', date = '', raw = ''] = stdout.split('\0');
  // as Argo CD: the subject is everything before the first blank line; each body line ends in a newline
  const message = raw.replace(/\s+$/, '');
  const cut = message.indexOf('\n\n');
  const subject = (cut < 0 ? message : message.slice(0, cut)).trim();
  const { references, body } = referencesOf(cut < 0 ? '' : message.slice(cut + 2));
  const meta: Record<string, unknown> = { repoURL, drySha, author, date: rfc3339(date), subject, body, references };
  for (const k of Object.keys(meta)) if (meta[k] === '' || meta[k] === undefined) delete meta[k];
  return `${JSON.stringify(meta, null, 2)}\n`;
}

/** git's %aI keeps the author's offset; Go's time.RFC3339 prints UTC as `Z`. */
function rfc3339(iso: string): string {
  return iso.trim().replace(/\+00:00$/, 'Z');
}

/**
 * `Argocd-reference-commit-*` trailer lines as one reference (Argo CD keeps a single related commit),
 * and the body without them. Values that do not validate stay in the body, as there.
 */
export function referencesOf(body: string): { references?: Array<{ commit: CommitMetadata }>; body: string } {
  const commit: CommitMetadata = {};
  const kept: string[] = [];
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const m = /^Argocd-reference-commit-(repourl|author|date|subject|body|sha): (.*)$/.exec(line);
    const value = m?.[2] ?? '';
    let ok = true;
    switch (m?.[1]) {
      case 'repourl':
        commit.repoUrl = value;
        break;
      case 'author':
        ok = /^[^<>]*<[^<>@\s]+@[^<>\s]+>$/.test(value);
        if (ok) commit.author = value;
        break;
      case 'date':
        ok = !Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(value);
        if (ok) commit.date = value;
        break;
      case 'subject':
        commit.subject = value;
        break;
      case 'body':
        try {
          const v: unknown = JSON.parse(value);
          ok = typeof v === 'string';
          if (ok) commit.body = v as string;
        } catch {
          ok = false;
        }
        break;
      case 'sha':
        ok = /^[0-9a-f]{5,40}$/.test(value);
        if (ok) commit.sha = value;
        break;
      default:
        ok = false;
    }
    if (!m || !ok) kept.push(line);
  }
  const rest = kept.length ? `${kept.join('\n')}\n` : '';
  if (!Object.keys(commit).length) return { body: rest };
  // Argo CD's CommitMetadata field order
  const ordered = Object.fromEntries((['author', 'date', 'subject', 'body', 'sha', 'repoUrl'] as const).filter((k) => commit[k] !== undefined).map((k) => [k, commit[k]]));
  return { references: [{ commit: ordered }], body: rest };
}

/**
 * spec.output.hydrator: the publish engine works on the proposed `<branch>-next` branches, each tree
 * with the dry commit's `hydrator.metadata` at its root; render and the memo speak active names.
 */
export async function hydratorLayout(root: string, source: { commit: string; repo: string }) {
  let meta: string;
  try {
    meta = await hydratorMetadata(root, source.repo, source.commit);
  } catch (e) {
    throw new KilnError(`cannot read source commit ${source.commit.slice(0, 12)} for hydrator.metadata: ${(e as Error).message}`, { hint: 'spec.output.hydrator describes the dry commit: publish from a clone that has it' });
  }
  const withMeta = (files: Map<string, string>) => new Map([...files, [HYDRATOR_METADATA, meta] as [string, string]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    proposed: (b: RenderedBranch): RenderedBranch => ({ ...b, branch: nextBranch(b.branch), files: withMeta(b.files) }),
    active: (names: ReadonlySet<string>) => new Set([...names].map(activeBranch)),
    proposedSet: (names: Set<string>) => new Set([...names].map(nextBranch)),
    activeKeys: <T>(m: Map<string, T>) => new Map([...m].map(([k, v]) => [activeBranch(k), v])),
  };
}
