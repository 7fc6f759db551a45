/** Default namespaces for namespaced objects that have none, as `kubectl apply -n` or Helm would. */
import type { K8sObject } from '../model.js';
import { groupOf } from './keys.js';

/** Cluster-scoped kinds of Kubernetes itself and of common add-ons, keyed `group/Kind`. */
const CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'storage.k8s.io/VolumeAttributesClass',
  'scheduling.k8s.io/PriorityClass',
  'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/IPAddress',
  'networking.k8s.io/ServiceCIDR',
  'policy/PodSecurityPolicy',
  'certificates.k8s.io/CertificateSigningRequest',
  'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'resource.k8s.io/DeviceClass',
  'resource.k8s.io/ResourceSlice',
  'cert-manager.io/ClusterIssuer',
  'external-secrets.io/ClusterSecretStore',
  'external-secrets.io/ClusterExternalSecret',
  'gateway.networking.k8s.io/GatewayClass',
  'snapshot.storage.k8s.io/VolumeSnapshotClass',
  'snapshot.storage.k8s.io/VolumeSnapshotContent',
  'kyverno.io/ClusterPolicy',
  'constraints.gatekeeper.sh/K8sRequiredLabels',
  'templates.gatekeeper.sh/ConstraintTemplate',
  'metallb.io/BGPPeer',
]);

/** CRDs rendered for a cluster tell the scope of their own kinds. */
export function scopesFromCRDs(objects: Iterable<K8sObject>): Map<string, boolean> {
  const scopes = new Map<string, boolean>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || groupOf(o.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = o.spec as { group?: unknown; scope?: unknown; names?: { kind?: unknown } } | undefined;
    if (typeof spec?.group === 'string' && typeof spec.names?.kind === 'string') {
      scopes.set(`${spec.group}/${spec.names.kind}`, spec.scope === 'Cluster');
    }
  }
  return scopes;
}

/** Groups all of whose kinds are cluster-scoped: Gatekeeper's constraints (one kind per ConstraintTemplate). */
const CLUSTER_SCOPED_GROUPS = new Set(['constraints.gatekeeper.sh']);

export function isClusterScoped(o: K8sObject, crdScopes: Map<string, boolean>): boolean {
  const group = groupOf(o.apiVersion);
  const gk = `${group}/${o.kind}`;
  return crdScopes.get(gk) ?? (CLUSTER_SCOPED.has(gk) || CLUSTER_SCOPED_GROUPS.has(group));
}

/** Returns copies; objects that already carry a namespace keep it. */
export function defaultNamespace(objects: K8sObject[], namespace: string | undefined, crdScopes: Map<string, boolean>): K8sObject[] {
  if (!namespace) return objects;
  return objects.map((o) => {
    if (o.metadata.namespace || isClusterScoped(o, crdScopes)) return o;
    return { ...o, metadata: { ...o.metadata, namespace } };
  });
}
