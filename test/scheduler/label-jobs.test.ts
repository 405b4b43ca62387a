import { jobsFromLabels, type LabelledContainer } from '../../services/scheduler/label-jobs';
import type { JobSpec } from '../../services/scheduler/job-spec';

function container(labels: Record<string, string>, over: Partial<LabelledContainer> = {}): LabelledContainer {
  return { id: 'c0ffee', name: 'web-1', running: true, labels: { 'ofelia.enabled': 'true', ...labels }, ...over };
}

const service = { 'ofelia.service': 'true' };

/** A job's set fields, without the empty lists, for exact comparison. */
function fields(job: JobSpec) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(job)) {
    if (Array.isArray(v) && v.length === 0) continue;
    if (k === 'extra' && Object.keys(v as object).length === 0) continue;
    out[k] = v;
  }
  return out;
}

describe('jobsFromLabels', () => {
  it('keeps Object\'s own names out: __proto__ and constructor are refused or plain keys', () => {
    const result = jobsFromLabels(
      container({
        ...service,
        'ofelia.webhook.__proto__.url': 'https://evil.example.com',
        'ofelia.job-run.__proto__.schedule': '@daily',
        'ofelia.job-run.r.__proto__': 'x',
        'ofelia.job-run.r.schedule': '@daily',
        'ofelia.job-run.r.image': 'alpine',
        'ofelia.job-run.r.constructor': 'y',
        'ofelia.job-run.r.toString': 'z',
      }),
    );
    expect(({} as Record<string, unknown>).url).toBeUndefined();
    expect(result.webhooks).toEqual({});
    expect(result.refused.map((r) => r.label)).toEqual([
      'ofelia.job-run.__proto__.schedule',
      'ofelia.job-run.r.__proto__',
      'ofelia.webhook.__proto__.url',
    ]);
    expect(result.jobs).toHaveLength(1);
    expect(result.jobs[0].webhooks).toBeUndefined();
    expect(result.jobs[0].extra).toEqual({ constructor: 'y', tostring: 'z' });
    expect(Object.keys(result.jobs[0].extra)).toEqual(['constructor', 'tostring']);
  });

  it('reads nothing from a container without ofelia.enabled=true', () => {
    const result = jobsFromLabels(container({ 'ofelia.enabled': 'false', 'ofelia.job-exec.a.schedule': '@daily' }));
    expect(result).toEqual({ jobs: [], refused: [], global: {}, webhooks: {} });
  });

  it('names an exec job after the Compose service, else the container, and points it at the container', () => {
    const labels = { 'ofelia.job-exec.backup.schedule': '@daily', 'ofelia.job-exec.backup.command': 'tar czf /b.tgz /data' };
    const plain = jobsFromLabels(container(labels));
    expect(plain.refused).toEqual([]);
    expect(plain.jobs.map(fields)).toEqual([
      {
        name: 'web-1.backup',
        type: 'exec',
        schedule: '@daily',
        command: 'tar czf /b.tgz /data',
        container: 'web-1',
        source: { kind: 'label', containerId: 'c0ffee', containerName: 'web-1' },
      },
    ]);
    const composed = jobsFromLabels(container({ ...labels, 'com.docker.compose.service': 'db' }, { name: 'proj-db-1' }));
    expect(composed.jobs.map((j) => [j.name, j.container])).toEqual([['db.backup', 'proj-db-1']]);
  });

  it('keeps a container the labels name, and fills none for a run job with an image', () => {
    const result = jobsFromLabels(
      container({
        'ofelia.job-exec.x.schedule': '@hourly',
        'ofelia.job-exec.x.container': 'other',
        'ofelia.job-run.y.schedule': '@hourly',
        'ofelia.job-run.y.image': 'alpine',
        'ofelia.job-run.z.schedule': '@hourly',
      }),
    );
    expect(result.jobs.map((j) => [j.type, j.name, j.container, j.image])).toEqual([
      ['exec', 'web-1.x', 'other', undefined],
      ['run', 'y', undefined, 'alpine'],
      ['run', 'z', 'web-1', undefined],
    ]);
  });

  it('takes job-run from a stopped container but not its exec jobs', () => {
    const result = jobsFromLabels(
      container({ 'ofelia.job-run.r.schedule': '@daily', 'ofelia.job-exec.e.schedule': '@daily' }, { running: false }),
    );
    expect(result.jobs.map((j) => [j.type, j.name, j.container])).toEqual([['run', 'r', 'web-1']]);
    expect(result.refused).toEqual([{ label: 'ofelia.job-exec.e.schedule', reason: expect.stringMatching(/not running/) }]);
  });

  it('always refuses job-local, naming each label, even on the service container', () => {
    const result = jobsFromLabels(
      container({ ...service, 'ofelia.job-local.my-test-job.schedule': '@every 5s', 'ofelia.job-local.my-test-job.command': 'date' }),
    );
    expect(result.jobs).toEqual([]);
    expect(result.refused.map((r) => r.label)).toEqual(['ofelia.job-local.my-test-job.command', 'ofelia.job-local.my-test-job.schedule']);
    expect(result.refused[0].reason).toMatch(/job-local runs a command on the host/);
  });

  it('takes job-service-run, globals and webhooks only from the service container', () => {
    const labels = {
      'ofelia.job-service-run.s.schedule': '@daily',
      'ofelia.job-service-run.s.image': 'alpine',
      'ofelia.job-service-run.s.network': 'backend',
      'ofelia.slack-only-on-error': 'true',
      'ofelia.webhook.ops.url': 'https://hooks.example.com/x',
    };
    const other = jobsFromLabels(container(labels));
    expect(other.jobs).toEqual([]);
    expect(other.global).toEqual({});
    expect(other.webhooks).toEqual({});
    expect(other.refused.map((r) => r.reason)).toEqual([
      expect.stringMatching(/job-service-run is taken only from the service container/),
      expect.stringMatching(/job-service-run is taken only/),
      expect.stringMatching(/job-service-run is taken only/),
      expect.stringMatching(/global setting is taken only from the service container/),
      expect.stringMatching(/webhook is taken only from the service container/),
    ]);

    const svc = jobsFromLabels(container({ ...labels, ...service }));
    expect(svc.refused).toEqual([]);
    expect(svc.jobs.map(fields)).toEqual([
      { name: 's', type: 'service-run', schedule: '@daily', image: 'alpine', network: 'backend', source: expect.anything() },
    ]);
    expect(svc.global).toEqual({ 'slack-only-on-error': 'true' });
    expect(svc.webhooks).toEqual({ ops: { url: 'https://hooks.example.com/x' } });
  });

  it('refuses globals outside the allow-list and unknown webhook keys, with reasons', () => {
    const result = jobsFromLabels(
      container({
        ...service,
        'ofelia.save-folder': '/tmp/',
        'ofelia.allow-host-jobs-from-labels': 'true',
        'ofelia.webhook-allowed-hosts': '*',
        'ofelia.log-level': 'debug',
        'ofelia.webhook.x.preset': 'slack',
        'ofelia.webhook.x.headers': 'X-A: 1',
      }),
    );
    expect(result.global).toEqual({ 'log-level': 'debug' });
    expect(result.webhooks).toEqual({ x: { preset: 'slack' } });
    expect(result.refused).toEqual([
      { label: 'ofelia.allow-host-jobs-from-labels', reason: expect.stringMatching(/only in the INI file/) },
      { label: 'ofelia.save-folder', reason: expect.stringMatching(/only in the INI file/) },
      { label: 'ofelia.webhook-allowed-hosts', reason: expect.stringMatching(/only in the INI file/) },
      { label: 'ofelia.webhook.x.headers', reason: 'unknown webhook key "headers"' },
    ]);
  });

  it('reads JSON arrays in list keys, and keeps other text as one value', () => {
    const result = jobsFromLabels(
      container({
        'ofelia.job-run.r.schedule': '@daily',
        'ofelia.job-run.r.image': 'alpine',
        'ofelia.job-run.r.environment': '["FOO=bar","BAZ=qux"]',
        'ofelia.job-run.r.volume': '[not json',
        'ofelia.job-run.r.depends-on': '["a", 1]',
        'ofelia.job-run.r.command': '["echo","hi"]',
      }),
    );
    expect(result.refused).toEqual([]);
    const [job] = result.jobs;
    expect(job.environment).toEqual(['FOO=bar', 'BAZ=qux']);
    expect(job.volume).toEqual(['[not json']);
    expect(job.dependsOn).toEqual(['["a", 1]']);
    expect(job.command).toEqual('["echo","hi"]');
  });

  it('parses booleans, numbers and webhooks as the INI reader does, and keeps unknown keys in extra', () => {
    const result = jobsFromLabels(
      container({
        'ofelia.job-exec.e.schedule': '@daily',
        'ofelia.job-exec.e.no-overlap': 'true',
        'ofelia.job-exec.e.tty': 'off',
        'ofelia.job-exec.e.history-limit': '5',
        'ofelia.job-exec.e.webhooks': 'a, b',
        'ofelia.job-exec.e.mail-only-on-error': 'true',
        'ofelia.job-exec.e.Working-Dir': '/srv',
      }),
    );
    expect(result.refused).toEqual([]);
    expect(result.jobs.map(fields)).toEqual([
      {
        name: 'web-1.e',
        type: 'exec',
        schedule: '@daily',
        container: 'web-1',
        noOverlap: true,
        tty: false,
        historyLimit: 5,
        webhooks: ['a', 'b'],
        workingDir: '/srv',
        extra: { 'mail-only-on-error': 'true' },
        source: expect.anything(),
      },
    ]);
  });

  it('refuses a bad value with its label and drops only that job', () => {
    const result = jobsFromLabels(
      container({
        'ofelia.job-exec.bad.schedule': '@daily',
        'ofelia.job-exec.bad.no-overlap': 'maybe',
        'ofelia.job-exec.bad.history-limit': '-3',
        'ofelia.job-exec.good.schedule': '@hourly',
      }),
    );
    expect(result.jobs.map((j) => j.name)).toEqual(['web-1.good']);
    expect(result.refused).toEqual([
      { label: 'ofelia.job-exec.bad.history-limit', reason: 'must be a whole number, got "-3" (job "web-1.bad" is not loaded)' },
      { label: 'ofelia.job-exec.bad.no-overlap', reason: 'must be true or false, got "maybe" (job "web-1.bad" is not loaded)' },
    ]);
  });

  it('refuses unknown job types, job-compose, malformed names and incomplete jobs, keeping the rest', () => {
    const result = jobsFromLabels(
      container({
        ...service,
        'ofelia.job-cron.a.schedule': '@daily',
        'ofelia.job-compose.b.schedule': '@daily',
        'ofelia.job-exec.a.b.schedule': '@daily',
        'ofelia.job-exec..schedule': '@daily',
        'ofelia.foo.bar': 'x',
        'ofelia.job-exec.nocontainer.schedule': '@daily',
        'ofelia.job-run.noschedule.image': 'alpine',
        'ofelia.job-run.noimage.schedule': '@daily',
        'ofelia.job-service-run.svc.schedule': '@daily',
        'ofelia.job-run.dirs.schedule': '@daily',
        'ofelia.job-run.dirs.image': 'alpine',
        'ofelia.job-run.dirs.dir': '/a',
        'ofelia.job-run.dirs.working-dir': '/b',
        'ofelia.job-run.ok.schedule': '@daily',
        'ofelia.job-run.ok.image': 'alpine',
        'io.berth.instance': 'not ours to read',
        'ofelia.job.name': 'an annotation Ofelia puts on its own containers',
      }),
    );
    expect(result.jobs.map((j) => j.name)).toEqual(['ok']);
    expect(result.refused).toEqual([
      { label: 'ofelia.foo.bar', reason: expect.stringMatching(/expected ofelia.<job-type>.<job-name>.<key>/) },
      { label: 'ofelia.job-compose.b.schedule', reason: expect.stringMatching(/job-compose is not supported/) },
      { label: 'ofelia.job-cron.a.schedule', reason: expect.stringMatching(/unknown job type "job-cron"/) },
      { label: 'ofelia.job-exec..schedule', reason: expect.stringMatching(/names cannot contain dots/) },
      { label: 'ofelia.job-exec.a.b.schedule', reason: expect.stringMatching(/names cannot contain dots/) },
      { label: 'ofelia.job-exec.nocontainer.container', reason: expect.stringMatching(/must name the container/) },
      { label: 'ofelia.job-run.dirs.working-dir', reason: expect.stringMatching(/sets what ofelia.job-run.dirs.dir already sets/) },
      { label: 'ofelia.job-run.noimage.image', reason: expect.stringMatching(/needs an image or a container/) },
      { label: 'ofelia.job-run.noschedule.schedule', reason: expect.stringMatching(/every job needs a schedule/) },
      { label: 'ofelia.job-service-run.svc.image', reason: expect.stringMatching(/service-run job needs an image/) },
    ]);
  });
});
