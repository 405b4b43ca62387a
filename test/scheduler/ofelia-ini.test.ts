import fs from 'node:fs';
import path from 'node:path';
import { BerthError } from '../../services/core/errors';
import { parseOfeliaIni } from '../../services/scheduler/ofelia-ini';
import type { JobSpec } from '../../services/scheduler/job-spec';

const EXAMPLES = '/work/shared/research/ofelia-examples';

function load(file: string) {
  const p = path.join(EXAMPLES, file);
  return parseOfeliaIni(fs.readFileSync(p, 'utf8'), p);
}

/** The fields a job has beyond its name and type, with the empty lists and the source left out. */
function summary(job: JobSpec) {
  const { source: _source, extra, ...rest } = job;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (!(Array.isArray(v) && v.length === 0)) fields[k] = v;
  if (Object.keys(extra).length) fields.extra = extra;
  return fields;
}

function parseError(text: string): BerthError {
  try {
    parseOfeliaIni(text, '/etc/ofelia/config.ini');
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return err as BerthError;
  }
  throw new Error('expected the text to be refused');
}

const readmeJobs = [
  { name: 'job-executed-on-running-container', type: 'exec', schedule: '@hourly', container: 'my-container', command: 'touch /tmp/example' },
  { name: 'job-executed-on-new-container', type: 'run', schedule: '@hourly', image: 'ubuntu:latest', command: 'touch /tmp/example' },
  { name: 'job-executed-on-current-host', type: 'local', schedule: '@hourly', command: 'touch /tmp/example' },
  {
    name: 'service-executed-on-new-container',
    type: 'service-run',
    schedule: '0,20,40 * * * *',
    image: 'ubuntu',
    network: 'swarm_network',
    command: 'touch /tmp/example',
  },
];
const flushNginxLogs = {
  name: 'flush-nginx-logs',
  type: 'exec',
  schedule: '@hourly',
  container: 'nginx-proxy',
  command: '/bin/bash /flush-logs.sh',
  user: 'www-data',
  tty: false,
};

describe('Ofelia INI examples load into the jobs the examples README lists', () => {
  it('01 mcuadros README: four jobs, no [global], two blank lines before the last section', () => {
    const cfg = load('01-mcuadros-readme.ini');
    expect(cfg.global).toEqual({});
    expect(cfg.jobs.map(summary)).toEqual(readmeJobs);
    expect(cfg.jobs.map((j) => j.source)).toEqual([1, 6, 11, 16].map((line) => ({ kind: 'file', path: path.join(EXAMPLES, '01-mcuadros-readme.ini'), line })));
  });

  it('02 mcuadros job-exec: user and tty', () => {
    expect(load('02-mcuadros-jobs-exec.ini').jobs.map(summary)).toEqual([flushNginxLogs]);
  });

  it('03 mcuadros job-run: repeated environment becomes a list, single quotes stay in the command', () => {
    expect(load('03-mcuadros-jobs-run.ini').jobs.map(summary)).toEqual([
      {
        name: 'print-write-date',
        type: 'run',
        schedule: '@every 5s',
        image: 'alpine:latest',
        command: "sh -c 'date | tee -a /tmp/test/date'",
        volume: ['/tmp/test:/tmp/test:rw'],
        environment: ['FOO=bar', 'BAZ=qux'],
      },
    ]);
  });

  it('04 mcuadros job-local: dir is the working directory', () => {
    expect(load('04-mcuadros-jobs-local.ini').jobs.map(summary)).toEqual([
      { name: 'create-file', type: 'local', schedule: '@every 15s', command: 'touch test.txt', workingDir: '/tmp/' },
    ]);
  });

  it('05 mcuadros job-service-run', () => {
    expect(load('05-mcuadros-jobs-service-run.ini').jobs.map(summary)).toEqual([readmeJobs[3]]);
  });

  it('06 netresearch README: [global] and the four README jobs', () => {
    const cfg = load('06-netresearch-readme-global.ini');
    expect(cfg.global).toEqual({
      'save-folder': '/var/log/ofelia_reports',
      'save-only-on-error': 'true',
      'log-level': 'INFO',
      'enable-web': 'true',
      'web-address': ':8081',
      'enable-pprof': 'true',
      'pprof-address': '127.0.0.1:8080',
    });
    expect(cfg.jobs.map(summary)).toEqual(readmeJobs);
  });

  it('07 netresearch example: commented-out sections give nothing, inner double quotes stay', () => {
    const cfg = load('07-netresearch-example-ofelia.ini');
    expect(cfg.global).toEqual({ 'enable-web': 'true' });
    expect(cfg.jobs.map(summary)).toEqual([
      { name: 'run-date', type: 'run', schedule: '@every 30s', image: 'alpine:latest', command: 'date' },
      { name: 'local-echo', type: 'local', schedule: '@every 45s', command: 'echo "Hello from local job"' },
    ]);
  });

  it('08 netresearch hybrid: [global] only, ${SMTP_PASSWORD} kept literally, no jobs', () => {
    const cfg = load('08-netresearch-hybrid-global-only.ini');
    expect(cfg.global).toEqual({
      'smtp-host': 'smtp.gmail.com',
      'smtp-port': '587',
      'smtp-user': 'notifications@example.com',
      'smtp-password': '${SMTP_PASSWORD}',
      'email-from': 'notifications@example.com',
      'email-to': 'admin@example.com',
      'slack-webhook': 'https://hooks.slack.com/services/XXX/YYY/ZZZ',
      'slack-only-on-error': 'true',
      'save-folder': '/var/log/ofelia',
      'save-only-on-error': 'true',
    });
    expect(cfg.jobs).toEqual([]);
  });

  it('09 netresearch run-job test: no space before the name, quoted schedule, no image', () => {
    expect(load('09-netresearch-test-run-job.ini').jobs.map(summary)).toEqual([
      { name: 'job', type: 'run', schedule: '*/1 * * * *', container: 'ofelia_job_1' },
    ]);
  });

  it('10 netresearch job-exec: working-dir', () => {
    expect(load('10-netresearch-jobs-exec.ini').jobs.map(summary)).toEqual([
      flushNginxLogs,
      { name: 'backup-logs', type: 'exec', schedule: '@daily', container: 'web-app', command: 'tar czf /backups/logs.tar.gz .', workingDir: '/var/log' },
    ]);
  });
});

describe('parseOfeliaIni', () => {
  it('refuses a broken line, naming the file and the line', () => {
    const err = parseError('[job-exec "a"]\nschedule = @hourly\ncommand touch /tmp/x\n');
    expect(err.code).toBe('VALIDATION_ERROR');
    expect(err.status).toBe(400);
    expect(err.details).toEqual({ path: '/etc/ofelia/config.ini', line: 3 });
    expect(err.message).toContain('/etc/ofelia/config.ini:3');
  });

  it('refuses a broken header and a job section without a name', () => {
    expect(parseError('[job-exec "a"\nschedule = @hourly\n').details).toEqual({ path: '/etc/ofelia/config.ini', line: 1 });
    expect(parseError('\n[job-run]\nschedule = @hourly\n').details).toEqual({ path: '/etc/ofelia/config.ini', line: 2 });
  });

  it('refuses an unknown section, and job-compose which Berth does not run', () => {
    const err = parseError('[global]\n\n[job-cron "x"]\nschedule = @daily\n');
    expect(err.details).toEqual({ path: '/etc/ofelia/config.ini', line: 3 });
    expect(err.message).toMatch(/unknown section \[job-cron\]/);
    expect(parseError('[job-compose "pg-dump"]\nschedule = @daily\n').message).toMatch(/job-compose/);
  });

  it('refuses a key outside any section, a job without a schedule, a duplicate job and bad typed values', () => {
    expect(parseError('schedule = @daily\n').details).toEqual({ path: '/etc/ofelia/config.ini', line: 1 });
    expect(parseError('[job-local "a"]\ncommand = date\n').message).toMatch(/no schedule/);
    expect(parseError('[job-local "a"]\nschedule = @daily\n[job-exec "a"]\nschedule = @daily\n').message).toMatch(/already defined on line 1/);
    expect(parseError('[job-exec "a"]\nschedule = @daily\ntty = maybe\n').details).toEqual({ path: '/etc/ofelia/config.ini', line: 3 });
    expect(parseError('[job-exec "a"]\nschedule = @daily\nhistory-limit = -1\n').message).toMatch(/whole number/);
  });

  it('unquotes quoted values and keeps what is inside them', () => {
    const cfg = parseOfeliaIni(
      [
        '[job-exec "q"]',
        'schedule = "0 */5 * * * *"   ; six fields',
        `command = "sh -c 'echo a; echo \\"b\\" # not a comment'"`,
        "user = 'www-data'",
        'container = `web;1`',
        'image = "a" b',
        'network = plain # trailing comment',
      ].join('\n'),
      'x.ini',
    ).jobs[0];
    expect(cfg.schedule).toBe('0 */5 * * * *');
    expect(cfg.command).toBe(`sh -c 'echo a; echo "b" # not a comment'`);
    expect(cfg.user).toBe('www-data');
    expect(cfg.container).toBe('web;1');
    expect(cfg.image).toBe('"a" b');
    expect(cfg.network).toBe('plain');
    expect(parseError('[job-exec "q"]\nschedule = "@daily\n').message).toMatch(/unterminated/);
    // Ofelia would cut this command at ";" inside its quotes: refused rather than run cut.
    expect(parseError("[job-exec \"q\"]\nschedule = @daily\ncommand = sh -c 'a; b'\n").details).toEqual({ path: '/etc/ofelia/config.ini', line: 3 });
  });

  it('makes repeated keys lists, is case-insensitive in keys and section types, and refuses a repeated scalar', () => {
    const cfg = parseOfeliaIni(
      [
        '[GLOBAL]',
        'Email-To = a@example.com',
        'email-to = b@example.com',
        '[Job-Run "Backup"]',
        'SCHEDULE = @weekly',
        'Image = alpine',
        'Environment = A=1',
        'VOLUME = /a:/a',
        'environment = B=2',
        'volume = /b:/b',
        'no-overlap = true',
        'run-on-startup = yes',
        'history-limit = 5',
        'max-retries = 3',
        'delete = false',
        'webhooks = slack, ops',
        'mail-only-on-error = true',
      ].join('\r\n'),
      'x.ini',
    );
    expect(cfg.global).toEqual({ 'email-to': ['a@example.com', 'b@example.com'] });
    expect(summary(cfg.jobs[0])).toEqual({
      name: 'Backup',
      type: 'run',
      schedule: '@weekly',
      image: 'alpine',
      environment: ['A=1', 'B=2'],
      volume: ['/a:/a', '/b:/b'],
      noOverlap: true,
      runOnStartup: true,
      historyLimit: 5,
      maxRetries: 3,
      delete: false,
      webhooks: ['slack', 'ops'],
      extra: { 'mail-only-on-error': 'true' },
    });
    const err = parseError('[job-exec "a"]\nschedule = @daily\nSchedule = @hourly\n');
    expect(err.details).toEqual({ path: '/etc/ofelia/config.ini', line: 3 });
    expect(err.message).toMatch(/already given on line 2/);
  });

  it('reads [docker] and [webhook] sections and backslash continuations', () => {
    const cfg = parseOfeliaIni(
      '[docker]\nevents = false\n[webhook "slack"]\npreset = slack\n[job-local "c"]\nschedule = @daily\ncommand = echo a \\\n  b\n',
      'x.ini',
    );
    expect(cfg.docker).toEqual({ events: 'false' });
    expect(cfg.webhooks).toEqual({ slack: { preset: 'slack' } });
    expect(cfg.jobs[0].command).toBe('echo a b');
  });
});
