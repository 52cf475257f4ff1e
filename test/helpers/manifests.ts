/**
 * Validation of generated compose.yaml (Compose Specification JSON schema, with ajv) and
 * Kubernetes manifests (kubernetes-models' OpenAPI validation, plus the Pod Security
 * Standards "restricted" profile's required fields).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { Service, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { parseAllDocuments } from 'yaml';
import { REPO } from './cli.js';

/** The Compose Specification schema, vendored in test/schemas (see its README for source and licence). */
const COMPOSE_SCHEMA = path.join(REPO, 'test', 'schemas', 'compose-spec.json');

type Validator = ((doc: unknown) => boolean) & { errors?: unknown };
let validateCompose: Validator | undefined;

/** Validate a compose document; returns ajv error strings (empty = valid). */
export function composeErrors(doc: unknown): string[] {
  if (!validateCompose) {
    // ajv is CommonJS: its class is the default export's `default` under some loaders
    const AjvClass = ((Ajv as unknown as { default?: unknown }).default ?? Ajv) as new (o: object) => {
      compile(schema: unknown): Validator;
    };
    const ajv = new AjvClass({ strict: false, validateSchema: false, allErrors: true });
    validateCompose = ajv.compile(JSON.parse(readFileSync(COMPOSE_SCHEMA, 'utf8')));
  }
  const validate = validateCompose;
  if (validate(doc)) return [];
  return ((validate.errors ?? []) as { instancePath: string; message: string }[]).map(
    (e) => `${e.instancePath} ${e.message}`,
  );
}

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Service': Service as never,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim as never,
  'apps/v1/Deployment': Deployment as never,
  'apps/v1/StatefulSet': StatefulSet as never,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as never,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy as never,
};

/** Parse every YAML document of a manifest file. */
export function loadManifests(text: string): Record<string, any>[] {
  return parseAllDocuments(text).map((d) => d.toJSON() as Record<string, any>);
}

/**
 * Validate one Kubernetes object with kubernetes-models.
 * @returns error strings (empty = valid); an unknown kind is an error.
 */
export function k8sErrors(obj: Record<string, any>): string[] {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
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
 * resources and probes set.
 */
export function pssRestrictedErrors(obj: Record<string, any>): string[] {
  const spec = obj.spec?.template?.spec;
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
