/**
 * Forge API failures as one redacted line: status and message, never the request (it carries the
 * token). A request that got no answer — refused, DNS, reset, timed out — is named as such, never
 * as an HTTP status; every request has a timeout (KILN_FORGE_TIMEOUT_MS, default 30 s).
 */
import { KilnError } from '../errors.js';
import { redact } from '../log/redact.js';

/** A forge call that failed: `status` when the forge answered, `network` when it did not. */
export class ForgeError extends KilnError {
  readonly status: number | undefined;
  readonly network: string | undefined;
  constructor(message: string, opts: { status?: number; network?: string; hint?: string; cause?: unknown }) {
    super(message, { hint: opts.hint, cause: opts.cause });
    this.name = 'ForgeError';
    this.status = opts.status;
    this.network = opts.network;
  }
}

/** What a failed call needs to explain itself: the token's source (for the 401 hint), the timeout. */
export interface ForgeContext {
  forge: 'GitHub' | 'GitLab';
  /** Where the token came from: GITHUB_TOKEN, GH_TOKEN, GITLAB_TOKEN, CI_JOB_TOKEN, or --token. */
  tokenName?: string;
  timeoutMs: number;
  /** The API's base URL, named when a request got no answer. */
  apiUrl?: string;
}

/** KILN_FORGE_TIMEOUT_MS: a positive whole number of milliseconds, default 30 s. */
export function forgeTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KILN_FORGE_TIMEOUT_MS;
  if (raw === undefined || raw === '') return 30_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new KilnError(`KILN_FORGE_TIMEOUT_MS="${raw}" is not a positive number of milliseconds`, { hint: 'e.g. KILN_FORGE_TIMEOUT_MS=60000 for one minute' });
  return n;
}

/**
 * fetch with the forge timeout. A request that gets no answer fails as NetworkFailure, which Octokit
 * passes through as it is (it rethrows errors named AbortError unwrapped) — so it is neither
 * reported as "HTTP 500" nor retried: a refused connection or a silent server stays so for a while,
 * and a retry would multiply the wait. Answers (5xx, 429, secondary rate limits) are retried.
 */
export function timedFetch(timeoutMs: number, interrupt?: AbortSignal): typeof fetch {
  return async (input, init) => {
    // the run's interrupt too: Ctrl-C must not wait out a forge that does not answer
    const signals = [AbortSignal.timeout(timeoutMs), ...(init?.signal ? [init.signal] : []), ...(interrupt ? [interrupt] : [])];
    const signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    try {
      return await fetch(input, { ...init, signal });
    } catch (e) {
      const url = input instanceof Request ? input.url : String(input);
      throw new NetworkFailure(describeNetwork(e, url, timeoutMs) ?? `no answer from ${hostOf(url)}: ${(e as Error).message}`, e);
    }
  };
}

export class NetworkFailure extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'AbortError'; // see timedFetch
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** "connection to host refused", "DNS lookup of host failed", "no answer within 30s"; undefined when the forge answered. */
export function describeNetwork(e: unknown, url: string | undefined, timeoutMs: number): string | undefined {
  const host = url ? hostOf(url) : 'the forge';
  for (let c = e, i = 0; c && i < 6; c = (c as { cause?: unknown }).cause, i++) {
    if (c instanceof NetworkFailure) return c.message;
    const { name, code } = c as { name?: string; code?: string };
    if (name === 'TimeoutError' || name === 'GitbeakerTimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `no answer from ${host} within ${timeoutMs / 1000}s (timed out)`;
    if (code === 'ECONNREFUSED') return `connection to ${host} refused`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DNS lookup of ${host} failed (${code})`;
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `connection to ${host} reset before an answer`;
    if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `connecting to ${host} timed out`;
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${host} is unreachable (${code})`;
  }
  return undefined;
}

/** Run one API call; a failure becomes a ForgeError naming the forge and what kiln was doing. */
export async function forgeCall<T>(ctx: ForgeContext, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw forgeError(ctx, what, e);
  }
}

export function forgeError(ctx: ForgeContext, what: string, e: unknown): ForgeError {
  const network = describeNetwork(e, (e as { request?: { url?: string } })?.request?.url ?? ctx.apiUrl, ctx.timeoutMs);
  if (network) {
    const hint = /timed out/.test(network) ? 'raise KILN_FORGE_TIMEOUT_MS if the forge is just slow' : 'check the forge URL (--forge-url, GITHUB_API_URL, CI_API_V4_URL) and the network';
    return new ForgeError(redact(`${ctx.forge}: ${what} failed: ${network}`), { network, hint, cause: e });
  }
  const status = (e as { status?: number; cause?: { response?: { status?: number } } })?.status ?? (e as { cause?: { response?: { status?: number } } })?.cause?.response?.status;
  const desc = (e as { cause?: { description?: string } })?.cause?.description;
  const msg = (desc ?? (e instanceof Error ? e.message : String(e))).split('\n')[0]!.slice(0, 300);
  return new ForgeError(redact(`${ctx.forge}: ${what} failed${status ? ` (HTTP ${status})` : ''}: ${msg}`), { status, hint: hintFor(ctx, status), cause: e });
}

function hintFor(ctx: ForgeContext, status: number | undefined): string | undefined {
  const token = ctx.tokenName ?? (ctx.forge === 'GitHub' ? 'GITHUB_TOKEN' : 'GITLAB_TOKEN');
  if (status === 401) {
    return token === 'CI_JOB_TOKEN'
      ? 'CI_JOB_TOKEN was refused: it cannot use this API; set GITLAB_TOKEN to a project access token with api scope'
      : `the token (${token}) was refused: expired, revoked, or for another host?`;
  }
  if (status === 403) {
    return ctx.forge === 'GitHub'
      ? `the token (${token}) lacks a permission (pull-requests: write, statuses: read, checks: read) or hit a rate limit`
      : `the token (${token}) lacks a permission (api scope; Developer role for merge requests and statuses)`;
  }
  if (status === 404) return 'check the repository/project and the PR/MR number (and that the token can see them)';
  return undefined;
}
