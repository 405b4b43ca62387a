import { BerthError } from '../core/errors';
import { JOB_TYPES, emptyJob, isRepeatableJobKey, type JobSpec, type JobType } from './job-spec';
import { setJobField } from './job-fields';

/**
 * Reads an Ofelia INI configuration (the operator's jobs) the way Ofelia does, but reports what Ofelia drops:
 * Ofelia (mcuadros through gcfg, netresearch through go-ini) silently ignores a file it cannot read; here a broken
 * line, an unknown section or a bad value throws a VALIDATION_ERROR naming the file and the line.
 *
 * Rules, following the maintained fork (netresearch, go-ini with shadow keys and case-insensitive keys):
 * - sections `[global]`, `[docker]`, `[webhook "n"]`, `[job-exec "n"]`, `[job-run "n"]`, `[job-local "n"]`,
 *   `[job-service-run "n"]`; the space before the quoted name is optional (`[job-run"job"]`). Section types and keys
 *   are case-insensitive; job names keep their case. `[job-compose "n"]` is refused: Berth has no compose job.
 * - `key = value` (or `key: value`, as go-ini allows); whitespace around the delimiter and the value is trimmed.
 * - full-line comments start with `#` or `;`. In an unquoted value, `#` or `;` starts a comment (both Ofelia parsers
 *   cut the value there); when the cut leaves an unbalanced quote the line is refused rather than silently cut.
 * - a value wholly in double quotes is unquoted (`\"` and `\\` unescaped) and may hold `#` and `;`; a value wholly in
 *   single quotes with none inside is unquoted (go-ini); quotes inside a value stay (`echo "hi"` keeps them). A value
 *   in backticks or triple double quotes is taken verbatim, on one line. A trailing `\` continues on the next line.
 * - repeated keys: `environment`, `volume`, `volumes-from`, `annotations`, `depends-on`, `on-success`, `on-failure`
 *   and keys Berth does not model become lists; `[global]` keys become lists when repeated; any other job key given
 *   twice is refused (the forks disagree on which one wins).
 * - `${VAR}` is kept literally; substitution from the environment is the loader's business.
 */
export interface OfeliaConfig {
  global: Record<string, string | string[]>;
  jobs: JobSpec[];
  /** netresearch's `[docker]` section (event and polling settings), kept as written. */
  docker: Record<string, string | string[]>;
  /** netresearch's `[webhook "name"]` sections, kept as written. */
  webhooks: Record<string, Record<string, string | string[]>>;
}

type SectionKind = 'global' | 'docker' | 'webhook' | JobType;
interface Entry { key: string; value: string; line: number }
interface Section { kind: SectionKind; name: string; line: number; entries: Entry[] }

const NAMED_SECTIONS: ReadonlySet<string> = new Set(['webhook', ...JOB_TYPES.map((t) => `job-${t}`)]);
const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function fail(path: string, line: number, message: string): never {
  throw new BerthError('VALIDATION_ERROR', 400, `${path}:${line}: ${message}`, { path, line });
}

export function parseOfeliaIni(text: string, path: string): OfeliaConfig {
  const sections = readSections(text, path);
  const config: OfeliaConfig = { global: {}, jobs: [], docker: {}, webhooks: {} };
  const jobLines = new Map<string, number>();
  const webhookLines = new Map<string, number>();
  for (const section of sections) {
    if (section.kind === 'global') mergeRecord(config.global, section.entries);
    else if (section.kind === 'docker') mergeRecord(config.docker, section.entries);
    else if (section.kind === 'webhook') {
      const before = webhookLines.get(section.name);
      if (before !== undefined) fail(path, section.line, `webhook "${section.name}" is already defined on line ${before}`);
      webhookLines.set(section.name, section.line);
      config.webhooks[section.name] = mergeRecord({}, section.entries);
    } else {
      const before = jobLines.get(section.name);
      if (before !== undefined) fail(path, section.line, `job "${section.name}" is already defined on line ${before}`);
      jobLines.set(section.name, section.line);
      config.jobs.push(buildJob(section, section.kind, path));
    }
  }
  return config;
}

/** Splits the text into sections of key/value entries, throwing on the first line that is neither. */
function readSections(text: string, path: string): Section[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const sections: Section[] = [];
  let current: Section | undefined;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      current = readHeader(line, path, lineNo);
      sections.push(current);
      continue;
    }
    const delim = line.search(/[=:]/);
    if (delim < 0) fail(path, lineNo, `expected "key = value" or a [section] header, got "${line}"`);
    const key = line.slice(0, delim).trim();
    if (!KEY_RE.test(key)) fail(path, lineNo, `"${key}" is not a valid key name`);
    let raw = line.slice(delim + 1).trim();
    // A trailing backslash continues the value on the next line (go-ini); the entry keeps its first line.
    while (raw.endsWith('\\') && !raw.startsWith('`') && i + 1 < lines.length) {
      i++;
      raw = raw.slice(0, -1) + lines[i].trim();
    }
    if (!current) fail(path, lineNo, `"${key}" is outside any section: put it under [global] or a job section`);
    current.entries.push({ key: key.toLowerCase(), value: readValue(raw, path, lineNo), line: lineNo });
  }
  return sections;
}

function readHeader(line: string, path: string, lineNo: number): Section {
  const close = line.lastIndexOf(']');
  const rest = close < 0 ? '' : line.slice(close + 1).trim();
  if (close < 0 || !(rest === '' || rest.startsWith('#') || rest.startsWith(';'))) {
    fail(path, lineNo, `broken section header "${line}": expected [type] or [type "name"]`);
  }
  const m = /^\s*([A-Za-z0-9_.-]+)\s*(?:"((?:[^"\\]|\\.)*)")?\s*$/.exec(line.slice(1, close));
  if (!m) fail(path, lineNo, `broken section header "${line}": expected [type] or [type "name"]`);
  const type = m[1].toLowerCase();
  const name = m[2] === undefined ? undefined : m[2].replace(/\\(.)/g, '$1');
  if (type === 'global' || type === 'docker') {
    if (name !== undefined) fail(path, lineNo, `[${type}] takes no name, got "${name}"`);
    return { kind: type, name: '', line: lineNo, entries: [] };
  }
  if (type === 'job-compose') {
    fail(path, lineNo, `[job-compose] jobs are not supported: use job-exec or job-run on the service's container`);
  }
  if (!NAMED_SECTIONS.has(type)) {
    fail(path, lineNo, `unknown section [${m[1]}]: expected global, docker, webhook, job-exec, job-run, job-local or job-service-run`);
  }
  if (name === undefined || name.trim() === '') fail(path, lineNo, `[${m[1]}] needs a quoted name, as in [${type} "name"]`);
  const kind = type === 'webhook' ? 'webhook' : (type.slice('job-'.length) as JobType);
  return { kind, name, line: lineNo, entries: [] };
}

/** The value text after the delimiter, trimmed, to the value Ofelia reads (see the module comment). */
function readValue(raw: string, path: string, lineNo: number): string {
  for (const q of ['"""', '`']) {
    if (raw.startsWith(q) && raw.length > q.length) {
      const end = raw.lastIndexOf(q);
      if (end < q.length) fail(path, lineNo, `value opened with ${q} is not closed on the same line`);
      if (!isCommentOrEmpty(raw.slice(end + q.length))) fail(path, lineNo, `unexpected text after the closing ${q}`);
      return raw.slice(q.length, end);
    }
  }
  if (raw.startsWith('"')) {
    const quoted = readDoubleQuoted(raw);
    if (quoted === undefined) fail(path, lineNo, `unterminated double quote in value ${raw}`);
    // `"a b" c` is not a quoted value: it is read as plain text, quotes included.
    if (isCommentOrEmpty(raw.slice(quoted.end))) return quoted.value;
  }
  const cut = raw.search(/[#;]/);
  const value = (cut < 0 ? raw : raw.slice(0, cut)).trim();
  if (cut >= 0 && (count(value, '"') % 2 === 1 || count(value, "'") % 2 === 1)) {
    fail(path, lineNo, `"${raw[cut]}" starts a comment in Ofelia and would cut this value inside its quotes; wrap the whole value in double quotes`);
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'") && count(value, "'") === 2) return value.slice(1, -1);
  return value;
}

function readDoubleQuoted(raw: string): { value: string; end: number } | undefined {
  let value = '';
  for (let i = 1; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && (raw[i + 1] === '"' || raw[i + 1] === '\\')) {
      value += raw[++i];
    } else if (c === '"') {
      return { value, end: i + 1 };
    } else {
      value += c;
    }
  }
  return undefined;
}

function isCommentOrEmpty(rest: string): boolean {
  const t = rest.trim();
  return t === '' || t.startsWith('#') || t.startsWith(';');
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1;
}

/** Adds entries to a record of plain settings: a key given more than once becomes a list, in file order. */
function mergeRecord(record: Record<string, string | string[]>, entries: Entry[]): Record<string, string | string[]> {
  for (const { key, value } of entries) {
    const before = record[key];
    if (before === undefined) record[key] = value;
    else record[key] = Array.isArray(before) ? [...before, value] : [before, value];
  }
  return record;
}

function buildJob(section: Section, type: JobType, path: string): JobSpec {
  const job = emptyJob(section.name, type, { kind: 'file', path, line: section.line });
  const seen = new Map<string, number>();
  for (const { key, value, line } of section.entries) {
    const first = seen.get(key);
    if (first !== undefined && !isRepeatableJobKey(key)) {
      fail(path, line, `"${key}" of job "${job.name}" is already given on line ${first}; only list keys may repeat`);
    }
    if (first === undefined) seen.set(key, line);
    if (key === 'dir' || key === 'working-dir') {
      const other = key === 'dir' ? 'working-dir' : 'dir';
      if (seen.has(other)) fail(path, line, `job "${job.name}" gives both "dir" and "working-dir"`);
    }
    const problem = setJobField(job, key, value);
    if (problem !== undefined) fail(path, line, `"${key}" of job "${job.name}" ${problem}`);
  }
  if (job.schedule.trim() === '') fail(path, section.line, `job "${job.name}" has no schedule`);
  return job;
}
