/** Token redaction for every line kiln prints. Secrets registered at runtime are masked too. */
const registered = new Set<string>();

const TOKEN_ENV = [/TOKEN$/, /PASSWORD$/, /SECRET$/, /_KEY$/, /^GITHUB_TOKEN$/, /^CI_JOB_TOKEN$/, /_JWT(_V\d+)?$/, /_PAT$/, /(^|_)CREDENTIALS?$/];
/**
 * Names that hold where things are, not secrets (GH_HOST=github.com, GH_REPO, CI_SERVER_HOST): masking
 * their values would mask the host in every repo URL kiln writes (a broken Flux GitRepository).
 */
const NOT_SECRET_ENV = /(_HOST|_HOSTNAME|_URL|_SERVER|_REPO|_REPOSITORY|_OWNER|_USER|_USERNAME|_NAME|_PATH|_DIR)$/;

/** Remember a value that must never be printed (e.g. a token read from the environment). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) registered.add(value);
}

/** Register every token-looking environment variable's value. */
export function registerEnvSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const [k, v] of Object.entries(env)) {
    if (v && TOKEN_ENV.some((re) => re.test(k)) && !NOT_SECRET_ENV.test(k)) registerSecret(v);
  }
}

const PATTERNS: Array<[RegExp, string]> = [
  // credentials in URLs: https://user:pass@host, ssh://user:pass@host, https://token@host; an SSH
  // user without a password (ssh://git@host) is a login name, not a secret, and stays
  [/([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]*@/gi, '$1***@'],
  [/(\b(?!(?:ssh|git\+ssh|ssh\+git):)[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+@/gi, '$1***@'],
  // well-known token shapes
  [/\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, '***'],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, '***'],
  [/\bglpat-[A-Za-z0-9_-]{16,}\b/g, '***'],
  [/\b(authorization:\s*(?:bearer|token|basic)\s+)\S+/gi, '$1***'],
  // tokens in query strings (GitLab's private_token, OAuth access_token) and JWTs (CI_JOB_JWT, OIDC)
  [/([?&](?:access_token|private_token|token)=)[^&\s#]+/gi, '$1***'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '***'],
];

export function redact(text: string): string {
  let out = text;
  for (const secret of registered) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

/** Flags whose argument is `key=value` handed to a tool (jsonnet ext/tla vars, Helm --set, ytt data values). */
const VALUE_FLAG = /^(--(?:ext|tla)-(?:str|code)|--set(?:-string|-json|-literal)?|--data-value(?:-yaml)?)$/;

/**
 * An argv as a log line may show it: the values of `key=value` arguments are replaced by their length
 * (a jsonnet ext var may carry a credential that only later turns out to be a Secret's value).
 */
export function argvForLog(args: readonly string[]): string[] {
  const hide = (kv: string) => {
    const eq = kv.indexOf('=');
    return eq < 0 ? kv : `${kv.slice(0, eq)}=<${kv.length - eq - 1} chars>`;
  };
  return args.map((a, i) => {
    const inline = /^(--[a-z-]+)=(.*)$/s.exec(a);
    if (inline && VALUE_FLAG.test(inline[1]!)) return `${inline[1]}=${hide(inline[2]!)}`;
    return i > 0 && VALUE_FLAG.test(args[i - 1]!) ? hide(a) : a;
  });
}
