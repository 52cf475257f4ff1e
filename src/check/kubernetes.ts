/**
 * Kubernetes manifest validation: every object through kubernetes-models' OpenAPI validation,
 * plus the Pod Security Standards "restricted" profile's required fields (and dockforge's own
 * hardening) on pod-bearing objects. kubernetes-models is loaded by
 * {@link loadKubernetesRules} when a check runs, never when this module is imported.
 */
import { parseAllDocuments } from 'yaml';

/** A kubernetes-models class: constructing one copies the object; `validate()` throws on a schema error. */
type Model = (new (o: never) => { validate(): void }) & { apiVersion: string; kind: string };

/** The Kubernetes check, with kubernetes-models loaded. */
export interface KubernetesRules {
  /**
   * Validate one Kubernetes object (`apiVersion`, `kind`, …) with kubernetes-models. The kinds
   * known: v1 Service, PersistentVolumeClaim, ConfigMap, Secret and ServiceAccount, apps/v1
   * Deployment and StatefulSet, policy/v1 PodDisruptionBudget, networking.k8s.io/v1 NetworkPolicy
   * and Ingress, autoscaling/v2 HorizontalPodAutoscaler, batch/v1 Job and CronJob.
   * @returns error strings (empty = valid); an unknown kind is an error (`no model for …`); never throws.
   */
  k8sErrors(obj: Record<string, any>): string[];
}

/**
 * Load kubernetes-models (the API groups of {@link KubernetesRules.k8sErrors}) and return the check.
 * @throws Error when kubernetes-models cannot be loaded (an incomplete installation).
 */
export async function loadKubernetesRules(): Promise<KubernetesRules> {
  const [core, apps, policy, networking, autoscaling, batch] = await Promise.all([
    import('kubernetes-models/v1'),
    import('kubernetes-models/apps/v1'),
    import('kubernetes-models/policy/v1'),
    import('kubernetes-models/networking.k8s.io/v1'),
    import('kubernetes-models/autoscaling/v2'),
    import('kubernetes-models/batch/v1'),
  ]);
  // the kinds dockforge renders, and those a team pack most often adds (autoscaling, ingress,
  // configuration, jobs)
  const known = [
    core.Service,
    core.PersistentVolumeClaim,
    core.ConfigMap,
    core.Secret,
    core.ServiceAccount,
    apps.Deployment,
    apps.StatefulSet,
    policy.PodDisruptionBudget,
    networking.NetworkPolicy,
    networking.Ingress,
    autoscaling.HorizontalPodAutoscaler,
    batch.Job,
    batch.CronJob,
  ] as unknown as Model[];
  // each model class names its own apiVersion and kind
  const models = Object.fromEntries(known.map((M) => [`${M.apiVersion}/${M.kind}`, M]));
  return { k8sErrors: (obj) => k8sErrors(models, obj) };
}

/**
 * Parse every YAML document of a manifest file (a `---`-separated stream) to plain values.
 * Never throws: a document with a syntax error gives what `yaml` recovers (see its `errors`).
 */
export function loadManifests(text: string): Record<string, any>[] {
  return parseAllDocuments(text).map((d) => d.toJSON() as Record<string, any>);
}

/** {@link KubernetesRules.k8sErrors} with the model table `models`. */
function k8sErrors(models: Record<string, Model>, obj: Record<string, any>): string[] {
  const Model = models[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) return [`no model for ${obj.apiVersion}/${obj.kind}`];
  try {
    new Model(obj as never).validate();
    return [];
  } catch (e) {
    return [`${obj.kind} ${obj.metadata?.name}: ${(e as Error).message}`];
  }
}

/**
 * Pod Security Standards "restricted" (kubernetes.io/docs/concepts/security/pod-security-standards):
 * runAsNonRoot, seccompProfile RuntimeDefault/Localhost, allowPrivilegeEscalation false,
 * capabilities drop ALL (add only NET_BIND_SERVICE), no host namespaces/ports/paths, no privileged,
 * volume types limited. Plus dockforge's own: readOnlyRootFilesystem, no service account token,
 * resources and probes set, image pinned. Objects without a pod template (`spec.template.spec`) pass.
 * @returns violations, one a line (empty = pass); never throws.
 */
export function pssRestrictedErrors(obj: Record<string, any>): string[] {
  // a workload's pod template; a CronJob's is one level down (spec.jobTemplate.spec.template)
  const spec = obj.spec?.template?.spec ?? obj.spec?.jobTemplate?.spec?.template?.spec;
  if (!spec) return [];
  const v: string[] = [];
  const name = `${obj.kind} ${obj.metadata?.name}`;
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) v.push(`${name}: host namespaces`);
  if (spec.automountServiceAccountToken !== false) v.push(`${name}: automountServiceAccountToken is not false`);
  for (const vol of spec.volumes ?? []) {
    const kinds = Object.keys(vol).filter((k) => k !== 'name');
    const allowed = [
      'configMap',
      'csi',
      'downwardAPI',
      'emptyDir',
      'ephemeral',
      'persistentVolumeClaim',
      'projected',
      'secret',
    ];
    if (!kinds.every((k) => allowed.includes(k))) v.push(`${name}: volume ${vol.name} type ${kinds} not allowed`);
  }
  for (const c of spec.containers ?? []) {
    const sc = c.securityContext ?? {};
    const cn = `${name} container ${c.name}`;
    if (sc.privileged) v.push(`${cn}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${cn}: allowPrivilegeEscalation is not false`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) v.push(`${cn}: runAsNonRoot is not true`);
    const uid = sc.runAsUser ?? pod.runAsUser;
    if (uid === 0) v.push(`${cn}: runAsUser 0`);
    const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') v.push(`${cn}: seccompProfile ${seccomp}`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) v.push(`${cn}: capabilities do not drop ALL`);
    const add: string[] = sc.capabilities?.add ?? [];
    if (add.some((a) => a !== 'NET_BIND_SERVICE')) v.push(`${cn}: adds capabilities ${add}`);
    if (sc.readOnlyRootFilesystem !== true) v.push(`${cn}: readOnlyRootFilesystem is not true`);
    for (const p of c.ports ?? []) if (p.hostPort) v.push(`${cn}: hostPort`);
    if (
      !c.resources?.requests?.cpu ||
      !c.resources?.requests?.memory ||
      !c.resources?.limits?.memory ||
      !c.resources?.limits?.cpu
    )
      v.push(`${cn}: resources incomplete`);
    if (!c.readinessProbe || !c.livenessProbe) v.push(`${cn}: probes missing`);
    if (/:latest$|^[^:]+$/.test(c.image ?? '')) v.push(`${cn}: image ${c.image} is not pinned`);
  }
  return v;
}
