/** `kiln bootstrap` flags, checked before the fleet is loaded so a typo fails fast and on one line. */
import { KilnError } from '../errors.js';
import { redact } from '../log/redact.js';

export const BOOTSTRAP_TARGETS = ['flux', 'argocd'] as const;
export type BootstrapTarget = (typeof BOOTSTRAP_TARGETS)[number];
export const DESTINATION_MODES = ['in-cluster', 'from-label'] as const;
/** `in-cluster`: each cluster runs its own Argo CD; `from-label`: a hub Argo CD, destination by cluster name. */
export type DestinationMode = (typeof DESTINATION_MODES)[number];

/** With `from-label`, this cluster label names the Argo CD cluster when it differs from the kiln cluster name. */
export const ARGOCD_CLUSTER_LABEL = 'kiln.dev/argocd-cluster';

export interface BootstrapFlags {
  target: string;
  repoUrl?: string;
  /** `origin`: the URL is the fleet repo's origin, not something the user typed (scp-like is converted). */
  repoUrlFrom?: 'flag' | 'origin';
  applicationSet?: boolean;
  namespace?: string;
  interval?: string;
  timeout?: string;
  secretRef?: string;
  destinationServer?: string;
  /** `git` (default): the rendered branches; `oci`: the artifacts of spec.output.oci. */
  source?: string;
  /** Flux, --source oci: a Secret holding the cosign public key (`cosign.pub`), for OCIRepository.spec.verify. */
  verifySecret?: string;
}

export const BOOTSTRAP_SOURCES = ['git', 'oci'] as const;
export type BootstrapSource = (typeof BOOTSTRAP_SOURCES)[number];

export interface BootstrapSettings {
  source: BootstrapSource;
  verifySecret?: string;
  target: BootstrapTarget;
  repoUrl: string;
  namespace: string;
  /** Flux only. */
  interval: string;
  timeout: string;
  secretRef?: string;
  /** Argo CD only. */
  applicationSet: boolean;
  destination: DestinationMode;
  /** What kiln changed on its own and says so (an scp-like origin written as ssh://). */
  notes: string[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The pattern Flux's CRDs put on `interval` and `timeout` (a Go duration without days). */
const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const CREDENTIAL_PARAM = /(^|[_-])(token|password|passwd|secret|key|auth|sig|signature|credentials?)$/i;
const CREDENTIALS_HINT =
  'credentials belong in a Secret, not in objects that get committed and printed: ' +
  'for Flux pass the Secret\'s name with --secret-ref; for Argo CD register the repository (a Secret labeled argocd.argoproj.io/secret-type=repository)';

export function checkBootstrapFlags(f: BootstrapFlags): BootstrapSettings {
  const target = f.target as BootstrapTarget;
  if (!(BOOTSTRAP_TARGETS as readonly string[]).includes(target)) {
    throw new KilnError(`unknown bootstrap target ${JSON.stringify(f.target ?? '')}`, { hint: 'use kiln bootstrap flux or kiln bootstrap argocd' });
  }
  const source = (f.source ?? 'git') as BootstrapSource;
  if (!(BOOTSTRAP_SOURCES as readonly string[]).includes(source)) throw new KilnError(`--source ${JSON.stringify(f.source)} is not git or oci`, { hint: 'git: the rendered branches; oci: the artifacts of spec.output.oci' });
  if (source === 'oci' && f.repoUrl !== undefined) throw new KilnError('--repo-url does not apply with --source oci', { hint: 'the clusters pull spec.output.oci.repository; set it in kiln.yaml' });
  if (f.verifySecret !== undefined && (source !== 'oci' || target !== 'flux')) throw new KilnError('--verify-secret applies to kiln bootstrap flux --source oci', { hint: 'Argo CD does not verify OCI signatures itself; use a policy controller' });
  if (f.verifySecret !== undefined && (!DNS_SUBDOMAIN.test(f.verifySecret) || f.verifySecret.length > 253)) throw new KilnError(`--verify-secret ${JSON.stringify(f.verifySecret)} is not a valid Secret name`);
  const notes: string[] = [];
  const repoUrl = source === 'oci' ? '' : checkRepoUrl(f.repoUrl, target, f.repoUrlFrom === 'origin' ? notes : undefined);
  const notFor = (flag: string, why: string): never => {
    throw new KilnError(`${flag} does not apply to kiln bootstrap ${target}`, { hint: why });
  };
  if (target === 'flux') {
    if (f.applicationSet) notFor('--application-set', 'an ApplicationSet is Argo CD\'s; use kiln bootstrap argocd --application-set');
    if (f.destinationServer !== undefined) notFor('--destination-server', 'Flux objects are applied in the cluster they deploy to');
  } else {
    if (f.interval !== undefined) notFor('--interval', 'Argo CD polls on its own schedule (timeout.reconciliation in argocd-cm)');
    if (f.timeout !== undefined) notFor('--timeout', 'it sets the Flux Kustomization timeout');
    if (f.secretRef !== undefined) notFor('--secret-ref', 'Argo CD finds repository credentials by URL: a Secret labeled argocd.argoproj.io/secret-type=repository');
  }
  const namespace = f.namespace ?? (target === 'flux' ? 'flux-system' : 'argocd');
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
    throw new KilnError(`--namespace ${JSON.stringify(namespace)} is not a valid namespace name`, { hint: 'a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters' });
  }
  const interval = checkDuration('--interval', f.interval ?? '5m');
  const timeout = checkDuration('--timeout', f.timeout ?? '5m');
  if (f.secretRef !== undefined && (!DNS_SUBDOMAIN.test(f.secretRef) || f.secretRef.length > 253)) {
    throw new KilnError(`--secret-ref ${JSON.stringify(f.secretRef)} is not a valid Secret name`, { hint: 'the name (not the contents) of a Secret in the Flux namespace, e.g. git-credentials' });
  }
  const applicationSet = Boolean(f.applicationSet);
  const destination = (f.destinationServer ?? (applicationSet ? 'from-label' : 'in-cluster')) as DestinationMode;
  if (!(DESTINATION_MODES as readonly string[]).includes(destination)) {
    throw new KilnError(`--destination-server ${JSON.stringify(f.destinationServer)} is not in-cluster or from-label`, {
      hint: `in-cluster: each cluster's own Argo CD; from-label: a hub Argo CD, destination.name from the ${ARGOCD_CLUSTER_LABEL} label or the cluster name`,
    });
  }
  if (applicationSet && destination === 'in-cluster') {
    // every element would deploy into the one cluster the ApplicationSet lives in
    throw new KilnError('--application-set lists every cluster, so it is for a hub Argo CD; it cannot use --destination-server in-cluster', {
      hint: 'use --destination-server from-label (the default with --application-set), or per-cluster Applications without --application-set',
    });
  }
  return { source, ...(f.verifySecret !== undefined ? { verifySecret: f.verifySecret } : {}), target, repoUrl, namespace, interval, timeout, ...(f.secretRef !== undefined ? { secretRef: f.secretRef } : {}), applicationSet, destination, notes };
}

/** `git@host:org/repo.git` → `ssh://git@host/org/repo.git` (scp-like paths are relative to the login's home; forges serve them from the root). */
export function scpToSsh(user: string, host: string, p: string): string {
  return `ssh://${user}@${host}/${p.replace(/^\/+/, '')}`;
}

function checkDuration(flag: string, v: string): string {
  if (!DURATION.test(v)) throw new KilnError(`${flag} ${JSON.stringify(v)} is not a duration`, { hint: 'e.g. 30s, 5m, 1h30m (units ms, s, m, h)' });
  return v;
}

/**
 * The URL the clusters clone. Refuses embedded credentials (user:password@, token@, ?token=): the
 * emitted objects are committed and printed, and both Flux and Argo CD take credentials from Secrets.
 * Error messages show the URL redacted, never as given. With `notes` (the URL came from the fleet
 * repo's origin, not from the user), an scp-like URL is converted for Flux and the conversion noted.
 */
export function checkRepoUrl(raw: string | undefined, target: BootstrapTarget, notes?: string[]): string {
  const url = raw?.trim() ?? '';
  if (!url) {
    throw new KilnError('--repo-url is required', { hint: 'the git URL the clusters pull their rendered branches from, e.g. https://git.example.com/org/fleet.git' });
  }
  const shown = JSON.stringify(redact(url).replace(/([?&][^=&#]*=)[^&#]*/g, '$1***'));
  if (/[\s\u0000-\u001f\u007f]/.test(url)) throw new KilnError(`--repo-url ${shown} contains whitespace or control characters`);
  // scp-like `git@host:org/repo.git`: Argo CD takes it as is, Flux needs an ssh:// URL
  const scp = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(?!\/\/)(.+)$/.exec(url);
  if (scp) {
    if (target === 'argocd') return url;
    const ssh = scpToSsh(scp[1]!, scp[2]!, scp[3]!);
    if (!notes) throw new KilnError(`--repo-url ${shown} is scp-like syntax, which Flux does not accept`, { hint: `write ${ssh}` });
    notes.push(`the fleet repo's origin ${shown} is scp-like syntax, which Flux does not accept; using ${ssh} (pass --repo-url to choose another URL)`);
    return checkRepoUrl(ssh, target);
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new KilnError(`--repo-url ${shown} is not a URL`, { hint: 'https://host/org/repo.git or ssh://git@host/org/repo.git' });
  }
  if (!['https:', 'http:', 'ssh:'].includes(u.protocol)) {
    throw new KilnError(`--repo-url ${shown}: scheme ${u.protocol.slice(0, -1)} is not supported`, { hint: 'use https://, http:// or ssh:// (the schemes Flux and Argo CD both clone)' });
  }
  if (!u.hostname) throw new KilnError(`--repo-url ${shown} has no host`);
  // ssh://git@host is the SSH user, not a secret; in http(s) URLs a user part is a token or login
  if (u.password || (u.username && u.protocol !== 'ssh:')) {
    throw new KilnError(`--repo-url ${shown} embeds credentials; refusing to write them into bootstrap objects`, { hint: CREDENTIALS_HINT });
  }
  for (const k of u.searchParams.keys()) {
    if (CREDENTIAL_PARAM.test(k)) {
      throw new KilnError(`--repo-url carries a credential in its query (${k}=…); refusing to write it into bootstrap objects`, { hint: CREDENTIALS_HINT });
    }
  }
  return url;
}
