/** Forge API failures as one redacted line: status and message, never the request (it carries the token). */
import { KilnError } from '../errors.js';
import { redact } from '../log/redact.js';

/** Run one API call; a failure becomes a KilnError naming the forge and what kiln was doing. */
export async function forgeCall<T>(forge: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw forgeError(forge, what, e);
  }
}

export function forgeError(forge: string, what: string, e: unknown): KilnError {
  const status = (e as { status?: number; cause?: { response?: { status?: number } } })?.status ?? (e as { cause?: { response?: { status?: number } } })?.cause?.response?.status;
  const desc = (e as { cause?: { description?: string } })?.cause?.description;
  const msg = (desc ?? (e instanceof Error ? e.message : String(e))).split('\n')[0]!.slice(0, 300);
  const hint =
    status === 401 ? 'the token was refused: check GITHUB_TOKEN / GITLAB_TOKEN' :
    status === 403 ? 'the token lacks a permission (GitHub: pull-requests: write; GitLab: api scope)' :
    status === 404 ? 'check the repository/project and the PR/MR number (and that the token can see them)' :
    undefined;
  return new KilnError(redact(`${forge}: ${what} failed${status ? ` (HTTP ${status})` : ''}: ${msg}`), { hint });
}
