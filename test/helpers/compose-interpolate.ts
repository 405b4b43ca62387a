/**
 * Docker Compose's variable interpolation (compose-go's template package), applied to a value after the YAML is
 * parsed, as Compose does: `$$` is a literal `$`; `$VAR` and `${VAR}` (unset → empty); `${VAR:-default}` (unset or
 * empty → default), `${VAR-default}` (unset → default); `${VAR:?message}` and `${VAR?message}` (fail);
 * `${VAR:+other}` and `${VAR+other}` (set → other). Defaults may hold interpolations of their own
 * (`${OUTPUT_DIR:-/tmp/${COMPOSE_PROJECT_NAME}}`); they are expanded only when used. A `$` starting none of these
 * fails, as in Compose ("invalid interpolation format").
 */
export type ComposeEnv = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(text: string, env: ComposeEnv): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      i++;
    } else if (text[i + 1] === '$') {
      out += '$';
      i += 2;
    } else if (text[i + 1] === '{') {
      const end = closingBrace(text, i + 2);
      out += braced(text.slice(i + 2, end), env, text);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(i + 1));
      if (!name) throw new Error(`invalid interpolation format in "${text}" at ${i}`);
      out += env[name[0]] ?? '';
      i += 1 + name[0].length;
    }
  }
  return out;
}

/** The index of the `}` closing a `${` whose body starts at `from`, skipping nested `${…}` and `$$`. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') i++;
    else if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  throw new Error(`unclosed \${ in "${text}"`);
}

function braced(body: string, env: ComposeEnv, whole: string): string {
  const name = NAME.exec(body);
  if (!name) throw new Error(`invalid interpolation format in "${whole}": \${${body}}`);
  const value = env[name[0]];
  const rest = body.slice(name[0].length);
  if (rest === '') return value ?? '';
  const op = /^(:?[-?+])/.exec(rest);
  if (!op) throw new Error(`invalid interpolation format in "${whole}": \${${body}}`);
  const word = rest.slice(op[1].length);
  const unset = op[1].startsWith(':') ? value === undefined || value === '' : value === undefined;
  switch (op[1].slice(-1)) {
    case '-':
      return unset ? interpolate(word, env) : (value as string);
    case '?':
      if (unset) throw new Error(`required variable ${name[0]} is missing a value: ${interpolate(word, env)}`);
      return value as string;
    default:
      return unset ? '' : interpolate(word, env);
  }
}

/** Interpolates every string in a parsed Compose document (mappings' values and lists), keys left as written. */
export function interpolateTree(node: unknown, env: ComposeEnv): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((n) => interpolateTree(n, env));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateTree(v, env)]));
  }
  return node;
}
