import type { ErrorObject } from 'ajv';

/**
 * Turns the first Ajv error of a request into one sentence that names the field, e.g.
 * `username: must NOT have more than 64 characters` or `unknown field "foo"`.
 */
export function describeValidationError(errors: ErrorObject[]): { message: string; field: string } {
  const error = errors[0];
  const base = fieldPath(error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = join(base, String(error.params.additionalProperty));
      return { field, message: `unknown field "${field}"` };
    }
    case 'required': {
      const field = join(base, String(error.params.missingProperty));
      if (field === 'requestBody') return { field: 'body', message: 'a JSON request body is required' };
      return { field, message: `${field} is required` };
    }
    case 'enum':
      return {
        field: base,
        message: `${base || 'value'} must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}`,
      };
    default:
      return { field: base, message: `${base || 'body'} ${error.message ?? 'is invalid'}` };
  }
}

/** openapi-backend validates `{path, query, headers, requestBody}`; report fields as the client knows them. */
function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .filter((part, index) => !(index === 0 && ['requestBody', 'query', 'path', 'headers'].includes(part)))
    .join('.');
}

function join(base: string, name: string): string {
  return base ? `${base}.${name}` : name;
}
