import { JOB_KEYS, parseBool, parseCount, type FieldRule, type JobSpec } from './job-spec';

/** The rule of an Ofelia key; own keys only, so `constructor` or `toString` is an unknown key, not Object's. */
export function jobKeyRule(key: string): FieldRule | undefined {
  return Object.hasOwn(JOB_KEYS, key) ? JOB_KEYS[key] : undefined;
}

/**
 * Puts one Ofelia key's value into a job, the same way for every source (INI sections, container labels): a list
 * key appends, a boolean or integer key parses (Go's rules), `webhooks` splits on commas, a key Berth does not model
 * goes to `extra` (a list once repeated). Answers why the value cannot be used, or undefined when it was set;
 * the caller says where the value came from (file and line, or label).
 * Repeats and conflicts (a key given twice, `dir` with `working-dir`) are the caller's to judge: they depend on
 * the source's shape.
 */
export function setJobField(job: JobSpec, key: string, value: string): string | undefined {
  const rule = jobKeyRule(key);
  if (rule === undefined) {
    const before = Object.hasOwn(job.extra, key) ? job.extra[key] : undefined;
    job.extra[key] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  } else if (rule.kind === 'list') {
    job[rule.field].push(value);
  } else if (rule.kind === 'string') {
    job[rule.field] = value;
  } else if (rule.kind === 'bool') {
    const b = parseBool(value);
    if (b === undefined) return `must be true or false, got "${value}"`;
    job[rule.field] = b;
  } else if (rule.kind === 'int') {
    const n = parseCount(value);
    if (n === undefined) return `must be a whole number, got "${value}"`;
    job[rule.field] = n;
  } else {
    job.webhooks = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  return undefined;
}
