/**
 * The interface every backing-service module implements (`src/services/<id>.ts`), with its
 * template folder `templates/services/<id>/`. The registry (`src/registry.ts`) lists them.
 *
 * A service belongs to a kind (`database`: SQLite, PostgreSQL; `cache`: Redis):
 * each kind is one answer whose choices are its services plus `none`, so a new kind is a new
 * module and a new answer, and the existing modules stay as they are.
 */
import type { Repo } from '../detect/repo.js';
import type { Answers, Detection, FieldSpec } from '../vocabulary.js';

/** An environment variable given to the app. `value` is a string; templates quote it for YAML. */
export interface EnvVar {
  name: string;
  value: string;
}

/** A Kubernetes container env entry: a value, or a key of a Secret. */
export interface K8sEnvVar {
  name: string;
  value?: string;
  secretRef?: { name: string; key: string };
}

/** A data directory the app writes, on a volume (compose named volume, k8s PersistentVolumeClaim). */
export interface Volume {
  /** Volume name: compose volume `<name>` (and `dev-<name>`), PVC `<service>-<name>`, Dockerfile stage name. */
  name: string;
  /** Absolute path in the container. */
  path: string;
  /** What lives there, for the Dockerfile comment (e.g. `the SQLite directory`). */
  what: string;
}

/** Distribution packages a service needs for a compiled language's client library. */
export interface ServicePackages {
  /** Debian build packages (headers), e.g. `libpq-dev`. */
  debianBuild: string[];
  /** Alpine build packages, e.g. `libpq-dev`. */
  alpineBuild: string[];
  /** Alpine runtime packages (the shared library), e.g. `libpq`. Distroless copies the ldd closure instead. */
  alpineRuntime: string[];
}

/** A kustomize secretGenerator entry (kustomize docs, "secretGenerator"). */
export interface SecretGenerator {
  name: string;
  /** Env file path relative to k8s/. */
  env: string;
  /** One-line comment above the entry. */
  comment: string;
}

/** What one active service contributes to the render context, as data the shared templates iterate. */
export interface ServiceContext {
  /**
   * The image of the service's own container (compose service, StatefulSet), e.g.
   * `postgres:18-alpine`; templates read it as `serviceImages.<id>` (a pack's `registryMirrors`
   * applied). None for a service that runs inside the app (SQLite).
   */
  image?: string;
  /** Environment baked into the image (runtime and dev stages), e.g. `DATABASE_PATH`. */
  imageEnv: EnvVar[];
  /** Environment of the compose `app` and `dev` services. */
  composeEnv: EnvVar[];
  /** Environment of the Deployment's container. */
  k8sEnv: K8sEnvVar[];
  /** Data directories of the app. */
  volumes: Volume[];
  /** Named volumes the service's own compose service uses (declared top-level). */
  composeVolumes: string[];
  /** compose `env_file` paths of the app and dev services (required). */
  envFiles: string[];
  /** compose services the app waits for (`condition: service_healthy`). */
  dependsOn: string[];
  /** kustomize secretGenerator entries. */
  secretGenerators: SecretGenerator[];
  /**
   * Lines of the service's secret files that are derived from the random value (e.g. a
   * `DATABASE_URL` holding the password): `value` contains `${secret}` where the value goes.
   * They are rewritten when the answers change; the random value never is.
   */
  secretEnv: { file: string; key: string; value: string }[];
  /** Comment lines at the top of compose.yaml. */
  composeNotes: string[];
  /** Text appended to the NetworkPolicy's first comment sentence. */
  policyNote: string;
  /** Packages per language id. */
  packages: Record<string, ServicePackages>;
  /** The working directory the app must run in (a database path relative to it), if any. */
  workdir?: string;
  /** Files of the build context copied into the runtime image (a committed database seeding its volume). */
  seedFiles: { src: string; dst: string }[];
  /** Paths `.dockerignore` excludes (state folders mounted over at run time). */
  dockerignoreExclude: string[];
  /** Paths `.dockerignore` must not exclude (`!path` lines, after the exclusions). */
  dockerignoreKeep: string[];
}

/** One backing service: how it is detected and what it adds to the generated files. */
export interface ServiceSupport {
  /** Answer value and template folder name (`templates/services/<id>/`). */
  id: string;
  /** The answer it is a choice of (`database`). */
  kind: string;
  /** Human name, e.g. `PostgreSQL`. */
  title: string;
  /**
   * Client libraries that mean the app uses this service, per language id, matched against
   * the dependency names the language's detector reads (see `Dependency` in vocabulary.ts).
   */
  drivers: Record<string, RegExp[]>;
  /** When drivers of several services of one kind are found, the highest wins (a migrated app keeps both). */
  priority: number;
  /**
   * One writer only (SQLite's file lock): one replica, `Recreate`, no PodDisruptionBudget.
   * The reason is said in the Deployment and README.Docker.md.
   */
  singleWriter: false | { reason: string };
  /**
   * A multi-service project runs one of it for every service that uses it (PostgreSQL, Redis:
   * their own container, one database or cache, one password); false when each service has its
   * own (SQLite, a file inside the service's volume: never shared between services).
   */
  shared: boolean;
  /**
   * Its own container's network endpoint, for the NetworkPolicies of a project: its
   * `app.kubernetes.io/component` label, the port and the port's name in its manifests.
   */
  endpoint?: { component: string; port: number; portName: string };
  /** The service's own answer fields (each gets `service: id`), listed after the languages' fields. */
  fields?: FieldSpec[];
  /**
   * Detection beyond drivers: the service's own findings (its fields) from the environment
   * reads and sources, and warnings (e.g. a hard-coded database host). Runs for every
   * registered service after the language's detection; never throws for odd files.
   */
  detect?(repo: Repo, out: Detection): Promise<void>;
  /**
   * The service's render facts for validated answers.
   * @param facts what the language says of itself: `appDir`, the folder holding an interpreted
   *   language's code in the image (`/app`), if any.
   */
  context(answers: Answers, facts: { appDir?: string }): ServiceContext;
}

/** An empty service context, for modules to spread and fill. */
export function emptyServiceContext(): ServiceContext {
  return {
    imageEnv: [],
    composeEnv: [],
    k8sEnv: [],
    volumes: [],
    composeVolumes: [],
    envFiles: [],
    dependsOn: [],
    secretGenerators: [],
    secretEnv: [],
    seedFiles: [],
    dockerignoreExclude: [],
    dockerignoreKeep: [],
    composeNotes: [],
    policyNote: '',
    packages: {},
  };
}
