import { parse } from 'yaml';
import { interpolateTree, type ComposeEnv } from './compose-interpolate';

/** One service of a Compose file as far as labels go: what `docker compose up` would put on its container. */
export interface ComposeService {
  service: string;
  image?: string;
  /** The service's labels after interpolation, plus the ones Compose adds (project, service, number). */
  labels: Record<string, string>;
  /** `<project>-<service>-1`, Compose v2's container name. */
  containerName: string;
}

/**
 * Reads a Compose file the way Compose reads it for labels: YAML with anchors and aliases, then variable
 * interpolation of every value (`interpolate`), `labels` as a mapping or as a `key=value` list, scalar values
 * made strings. Compose v2 puts `COMPOSE_PROJECT_NAME` in the interpolation environment; `env` should too.
 */
export function composeServices(text: string, project: string, env: ComposeEnv): ComposeService[] {
  const doc = interpolateTree(parse(text), { COMPOSE_PROJECT_NAME: project, ...env }) as {
    services?: Record<string, { image?: string; labels?: Record<string, unknown> | string[] }>;
  };
  return Object.entries(doc.services ?? {}).map(([service, spec]) => ({
    service,
    image: spec.image,
    containerName: `${project}-${service}-1`,
    labels: {
      ...labelsOf(spec.labels),
      'com.docker.compose.project': project,
      'com.docker.compose.service': service,
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
    },
  }));
}

function labelsOf(labels: Record<string, unknown> | string[] | undefined): Record<string, string> {
  if (labels === undefined) return {};
  if (Array.isArray(labels)) {
    return Object.fromEntries(
      labels.map((entry) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v === null ? '' : String(v)]));
}
