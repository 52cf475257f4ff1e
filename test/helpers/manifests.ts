/**
 * Validation of generated compose.yaml (Compose Specification JSON schema, with ajv) and
 * Kubernetes manifests (kubernetes-models' OpenAPI validation, plus the Pod Security
 * Standards "restricted" profile's required fields): the shipped checks of `src/check/`,
 * loaded once when a test file imports this helper.
 */
import { loadComposeRules } from '../../src/check/compose.js';
import { loadKubernetesRules } from '../../src/check/kubernetes.js';

export { loadManifests, pssRestrictedErrors } from '../../src/check/kubernetes.js';

/** Validate a compose document; returns ajv error strings (empty = valid). */
export const { composeErrors } = await loadComposeRules();

/** Validate one Kubernetes object with kubernetes-models; returns error strings (an unknown kind is an error). */
export const { k8sErrors } = await loadKubernetesRules();
