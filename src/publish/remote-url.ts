/** `--remote`: a remote name of the fleet repo, a URL, or a local path. */
import path from 'node:path';
import { KilnError } from '../errors.js';
import { ExecError } from '../exec/exec.js';
import { git } from '../git/git.js';

export async function resolveRemote(root: string, remote: string): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/]+@[^:]+:/.test(remote)) return remote;
  if (remote.startsWith('/') || remote.startsWith('.')) return path.resolve(root, remote);
  try {
    const { stdout } = await git(undefined, ['-C', root, 'remote', 'get-url', remote]);
    return stdout.trim();
  } catch (e) {
    if (e instanceof ExecError && /not a git repository/i.test(e.stderr)) {
      throw new KilnError(`${root} is not inside a git repository, so --remote "${remote}" names no remote`, { hint: 'run kiln in a clone of the fleet repo, or pass --remote as a URL or path' });
    }
    throw new KilnError(`--remote "${remote}" is neither a URL nor a remote of the fleet repo`, {
      hint: 'pass a URL or path (e.g. --remote file:///srv/rendered.git) or add the remote with git remote add',
      cause: e instanceof ExecError ? e : undefined,
    });
  }
}

/** Literal prefix of the branch template: branches under it that no cluster maps to are orphans. */
export function branchPrefix(template: string): string {
  const i = template.indexOf('{{');
  return i < 0 ? template : template.slice(0, i);
}
