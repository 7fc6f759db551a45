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
  'storagemigration.k8s.io/StorageVersionMigration',
  'internal.apiserver.k8s.io/StorageVersion',
  'policy.networking.k8s.io/AdminNetworkPolicy',
  'policy.networking.k8s.io/BaselineAdminNetworkPolicy',
  'cert-manager.io/ClusterIssuer',
  'external-secrets.io/ClusterSecretStore',
  'external-secrets.io/ClusterExternalSecret',
  'gateway.networking.k8s.io/GatewayClass',
  'snapshot.storage.k8s.io/VolumeSnapshotClass',
  'snapshot.storage.k8s.io/VolumeSnapshotContent',
  'kyverno.io/ClusterPolicy',
  'constraints.gatekeeper.sh/K8sRequiredLabels',
  'templates.gatekeeper.sh/ConstraintTemplate',
]);

/** Namespaced kinds of Kubernetes' `*.k8s.io` API groups and of add-ons whose objects charts often render without their CRD. */
const NAMESPACED = new Set([
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/RoleBinding',
  'networking.k8s.io/Ingress',
  'networking.k8s.io/NetworkPolicy',
  'coordination.k8s.io/Lease',
  'discovery.k8s.io/EndpointSlice',
  'events.k8s.io/Event',
  'storage.k8s.io/CSIStorageCapacity',
  'resource.k8s.io/ResourceClaim',
  'resource.k8s.io/ResourceClaimTemplate',
  'gateway.networking.k8s.io/Gateway',
  'gateway.networking.k8s.io/HTTPRoute',
  'gateway.networking.k8s.io/GRPCRoute',
  'gateway.networking.k8s.io/TLSRoute',
  'gateway.networking.k8s.io/TCPRoute',
  'gateway.networking.k8s.io/UDPRoute',
  'gateway.networking.k8s.io/ReferenceGrant',
  'gateway.networking.k8s.io/BackendTLSPolicy',
  'snapshot.storage.k8s.io/VolumeSnapshot',
  'monitoring.coreos.com/ServiceMonitor',
  'monitoring.coreos.com/PodMonitor',
  'monitoring.coreos.com/PrometheusRule',
  'monitoring.coreos.com/Prometheus',
  'monitoring.coreos.com/Alertmanager',
  'monitoring.coreos.com/AlertmanagerConfig',
  'cert-manager.io/Certificate',
  'cert-manager.io/Issuer',
  'external-secrets.io/ExternalSecret',
  'external-secrets.io/SecretStore',
]);

/** `group/Kind` of an object, the key of every scope table. */
export const groupKind = (o: K8sObject): string => `${groupOf(o.apiVersion)}/${o.kind}`;

/** CRDs rendered for a cluster tell the scope of their own kinds (true: cluster-scoped). */
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

/** What kiln knows of Kubernetes' own kinds and well-known add-ons; undefined: not a kind it knows. */
export function builtinScope(gk: string): boolean | undefined {
  if (CLUSTER_SCOPED.has(gk)) return true;
  if (NAMESPACED.has(gk)) return false;
  const group = gk.slice(0, gk.lastIndexOf('/'));
  if (CLUSTER_SCOPED_GROUPS.has(group)) return true;
  // the core and dot-less groups are served by the API server itself (a CRD's group has a dot): the
  // table above names their cluster-scoped kinds, every other kind there is namespaced
  if (!group.includes('.')) return false;
  return undefined;
}

/** `spec.kindScopes` of kiln.yaml: `group/Kind` (or `group/*`) → cluster-scoped. */
export function declaredScope(gk: string, declared: ReadonlyMap<string, boolean>): boolean | undefined {
  return declared.get(gk) ?? declared.get(`${gk.slice(0, gk.lastIndexOf('/'))}/*`);
}

/** Returns copies; objects that already carry a namespace keep it. `clusterScoped` answers for the rest. */
export function defaultNamespace(objects: K8sObject[], namespace: string | undefined, clusterScoped: (o: K8sObject) => boolean, copies?: WeakMap<K8sObject, Map<string, K8sObject>>): K8sObject[] {
  if (!namespace) return objects;
  return objects.map((o) => {
    if (o.metadata.namespace || clusterScoped(o)) return o;
    // one copy per object and namespace for the run (`copies`): clusters sharing a render share its
    // namespaced objects too, so what is computed from an object (its YAML) is computed once
    let byNs = copies?.get(o);
    let copy = byNs?.get(namespace);
    if (!copy) {
      copy = { ...o, metadata: { ...o.metadata, namespace } };
      if (copies) {
        if (!byNs) copies.set(o, (byNs = new Map()));
        byNs.set(namespace, copy);
      }
    }
    return copy;
  });
}
