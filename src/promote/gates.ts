/**
 * Health gate: the commit status / check `context` (as Flux's notification-controller or Argo CD
 * notifications set on rendered commits) must be `success` on every source-environment branch head.
 */
import { ExitCode, KilnError } from '../errors.js';
import type { CommitState, Scm } from '../scm/scm.js';
import type { BranchHead } from './heads.js';
import type { SourceBranch } from './source.js';

export interface StatusCheck {
  cluster: string;
  branch: string;
  commit: string;
  context: string;
  state: CommitState;
}

export async function statusGate(scm: Scm, contexts: string[], branches: SourceBranch[], heads: Map<string, BranchHead>): Promise<StatusCheck[]> {
  const checks: StatusCheck[] = [];
  for (const b of branches) {
    const head = heads.get(b.branch);
    if (!head) continue; // pickSource refuses missing branches
    for (const context of contexts) checks.push({ cluster: b.cluster, branch: b.branch, commit: head.commit, context, state: await scm.commitState(head.commit, context) });
  }
  const bad = checks.filter((c) => c.state !== 'success');
  if (bad.length) {
    throw new KilnError(`refused: status ${bad.map((c) => `"${c.context}" is ${c.state} for ${c.cluster} (${c.commit.slice(0, 12)})`).join(', ')}`, {
      exitCode: ExitCode.gateRefused,
      hint: 'wait for the source environment to report healthy, then promote again',
    });
  }
  return checks;
}
