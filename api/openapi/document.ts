import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { projectRoot } from '../../services/core/paths';

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

/** Reads `openapi/<name>.yaml`. The YAML is the source of truth; `/openapi/<name>.json` serves it as JSON. */
export function loadDocument(name: string): OpenApiDocument {
  const file = path.join(projectRoot(), 'openapi', `${name}.yaml`);
  return YAML.parse(fs.readFileSync(file, 'utf8')) as OpenApiDocument;
}
