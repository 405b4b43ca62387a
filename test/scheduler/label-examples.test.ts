import fs from 'node:fs';
import path from 'node:path';
import { jobsFromLabels, type LabelJobs, type LabelledContainer } from '../../services/scheduler/label-jobs';
import { parseOfeliaIni } from '../../services/scheduler/ofelia-ini';
import type { JobSpec } from '../../services/scheduler/job-spec';
import { composeServices } from '../helpers/compose-services';
import { dockerRun } from '../helpers/docker-run-args';
import { LabelledEngine, OFELIA_IMAGE_LABELS } from '../helpers/labelled-engine';

/**
 * The label examples (files 11–17 of the research folder), unmodified, as real containers on the test engine,
 * discovered by a LabelWatcher: each test asserts exactly the jobs the README's "What Berth must produce" lists.
 * The images are swapped for the local busybox (no registry is reachable); the labels are the files'. A container
 * standing in for an Ofelia image gets the labels that image carries (ofelia.service and ofelia.enabled).
 */
const EXAMPLES = '/work/shared/research/ofelia-examples';
const read = (file: string) => fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
const isOfeliaImage = (image: string | undefined) => image !== undefined && /(^|\/)ofelia(:|$)/.test(image);

let engine: LabelledEngine;

beforeAll(async () => {
  engine = new LabelledEngine();
  await engine.watcher.start();
});

afterAll(async () => {
  await engine.close();
});

/** Starts the `docker run` of a .sh example as a container named `<run>-<group>`, and waits for the watcher. */
async function runScript(file: string, group: string): Promise<LabelledContainer[]> {
  const { image, labels } = dockerRun(read(file));
  const name = `${engine.run}-${group}`;
  await engine.add(group, name, { ...(isOfeliaImage(image) ? OFELIA_IMAGE_LABELS : {}), ...labels });
  return engine.waitFor(group, `the container of ${file}`, (set) => set.length === 1 && set[0].running);
}

/**
 * Brings a compose example up as Compose would: one container per service named `<project>-<service>-1`, with the
 * interpolated labels and Compose's own; `ofeliaService` stands in for the Ofelia image (or, in file 14, the
 * image built from Ofelia's Dockerfile).
 */
async function composeUp(file: string, group: string, ofeliaService: string): Promise<{ set: LabelledContainer[]; project: string }> {
  const project = `${engine.run}-${group}`;
  const services = composeServices(read(file), project, {});
  for (const s of services) {
    const imageLabels = s.service === ofeliaService || isOfeliaImage(s.image) ? OFELIA_IMAGE_LABELS : {};
    await engine.add(group, s.containerName, { ...imageLabels, ...s.labels });
  }
  // Services without ofelia.enabled (none in these files) would not be in the set.
  const labelled = services.filter((s) => (s.service === ofeliaService ? 'true' : s.labels['ofelia.enabled']) === 'true');
  const set = await engine.waitFor(group, `the services of ${file}`, (s) => s.length === labelled.length && s.every((c) => c.running));
  return { set, project };
}

/** Every container's jobs, refusals, globals and webhooks together, as the scheduler will see them. */
function readAll(set: LabelledContainer[]): LabelJobs {
  const all: LabelJobs = { jobs: [], refused: [], global: {}, webhooks: {} };
  for (const container of set) {
    const one = jobsFromLabels(container);
    for (const job of one.jobs) expect(job.source).toEqual({ kind: 'label', containerId: container.id, containerName: container.name });
    all.jobs.push(...one.jobs);
    all.refused.push(...one.refused);
    Object.assign(all.global, one.global);
    Object.assign(all.webhooks, one.webhooks);
  }
  all.jobs.sort((a, b) => a.name.localeCompare(b.name));
  all.refused.sort((a, b) => a.label.localeCompare(b.label));
  return all;
}

/** A job's fields as written, without the empty lists; `from` names where it came from. */
function fields(job: JobSpec) {
  const { source, extra, ...rest } = job;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (!(Array.isArray(v) && v.length === 0)) out[k] = v;
  if (Object.keys(extra).length) out.extra = extra;
  out.from = source.kind === 'label' ? source.containerName : source.kind;
  return out;
}

const localRefused = (job: string) =>
  ['command', 'schedule'].map((key) => ({ label: `ofelia.job-local.${job}.${key}`, reason: expect.stringMatching(/^job-local runs a command on the host/) }));

describe('Ofelia label examples on the real engine give the jobs the examples README lists', () => {
  it('11: the job-local label on the Ofelia container is refused, naming the label', async () => {
    const all = readAll(await runScript('11-mcuadros-readme-labels-local.sh', 'f11'));
    expect(all.jobs).toEqual([]);
    expect(all.refused).toEqual(localRefused('my-test-job'));
    expect(all.global).toEqual({});
  });

  it('12: an exec job named after the container, running in it', async () => {
    const set = await runScript('12-mcuadros-readme-labels-exec.sh', 'f12');
    const name = `${engine.run}-f12`;
    const all = readAll(set);
    expect(all.refused).toEqual([]);
    expect(all.jobs.map(fields)).toEqual([
      { name: `${name}.test-exec-job`, type: 'exec', schedule: '@every 5s', command: 'uname -a', container: name, from: name },
    ]);
  });

  it('13: exec nginx.datecron only; the ofelia service\'s job-local is refused', async () => {
    const { set, project } = await composeUp('13-mcuadros-readme-compose.yml', 'f13', 'ofelia');
    const all = readAll(set);
    const nginx = `${project}-nginx-1`;
    expect(all.jobs.map(fields)).toEqual([
      { name: 'nginx.datecron', type: 'exec', schedule: '@every 5s', command: 'uname -a', container: nginx, from: nginx },
    ]);
    expect(all.refused).toEqual(localRefused('my-test-job'));
  });

  it('14: exec sleep1.my-exec-job and run my-run-job with the Compose defaults applied; my-local-job refused', async () => {
    const { set, project } = await composeUp('14-mcuadros-integration-compose.yml', 'f14', 'ofelia');
    const all = readAll(set);
    // Compose turns $$ into $; the stray double quote at the end is in the published file.
    const command = "/bin/sh -c 'date | tee -a /tmp/${OUTPUT_FILE}'\"";
    const sleep1 = `${project}-sleep1-1`;
    expect(all.jobs.map(fields)).toEqual([
      {
        name: 'my-run-job',
        type: 'run',
        schedule: '@every 5s',
        command,
        image: 'alpine:3.23.3',
        volume: [`/tmp/${project}/:/tmp`],
        environment: ['OUTPUT_FILE=run.txt'],
        from: `${project}-ofelia-1`,
      },
      { name: 'sleep1.my-exec-job', type: 'exec', schedule: '@every 5s', command, container: sleep1, from: sleep1 },
    ]);
    expect(all.refused).toEqual([
      ...localRefused('my-local-job'),
      // save-folder is not on the allow-list: where reports are written is the operator's.
      { label: 'ofelia.save-folder', reason: expect.stringMatching(/only in the INI file/) },
    ]);
    expect(all.global).toEqual({});
  });

  it('15: run print-write-date from the Ofelia container', async () => {
    const set = await runScript('15-mcuadros-jobs-run-labels.sh', 'f15');
    const all = readAll(set);
    expect(all.refused).toEqual([]);
    expect(all.jobs.map(fields)).toEqual([
      {
        name: 'print-write-date',
        type: 'run',
        schedule: '@every 5s',
        image: 'alpine:latest',
        volume: ['/tmp/test:/tmp/test:rw'],
        environment: ['FOO=bar'],
        command: "sh -c 'date | tee -a /tmp/test/date'",
        from: `${engine.run}-f15`,
      },
    ]);
  });

  it('16: with file 07 as the INI, run run-date, local local-echo and exec nginx.flush-logs', async () => {
    const { set, project } = await composeUp('16-netresearch-example-compose.yml', 'f16', 'ofelia');
    const all = readAll(set);
    expect(all.refused).toEqual([]);
    const iniPath = path.join(EXAMPLES, '07-netresearch-example-ofelia.ini');
    const ini = parseOfeliaIni(read('07-netresearch-example-ofelia.ini'), iniPath);
    const jobs = [...ini.jobs, ...all.jobs].sort((a, b) => a.name.localeCompare(b.name));
    const nginx = `${project}-nginx-1`;
    expect(jobs.map(fields)).toEqual([
      { name: 'local-echo', type: 'local', schedule: '@every 45s', command: 'echo "Hello from local job"', from: 'file' },
      { name: 'nginx.flush-logs', type: 'exec', schedule: '@hourly', command: "echo 'flush nginx logs'", container: nginx, from: nginx },
      { name: 'run-date', type: 'run', schedule: '@every 30s', image: 'alpine:latest', command: 'date', from: 'file' },
    ]);
  });

  it('17: run cleanup and exec app.health; the globals and the webhook are kept', async () => {
    const { set, project } = await composeUp('17-netresearch-labels-only-compose.yml', 'f17', 'ofelia');
    const all = readAll(set);
    const app = `${project}-app-1`;
    expect(all.refused).toEqual([]);
    expect(all.jobs.map(fields)).toEqual([
      { name: 'app.health', type: 'exec', schedule: '*/5 * * * *', command: 'curl -f http://localhost:8080/health', container: app, from: app },
      {
        name: 'cleanup',
        type: 'run',
        schedule: '@daily',
        image: 'alpine:latest',
        command: "echo 'Daily cleanup'",
        delete: true,
        from: `${project}-ofelia-1`,
      },
    ]);
    expect(all.global).toEqual({
      'slack-webhook': 'https://hooks.slack.com/services/XXX/YYY/ZZZ',
      'slack-only-on-error': 'true',
      'webhook-webhooks': 'slack',
    });
    expect(all.webhooks).toEqual({
      slack: { preset: 'slack', id: 'T00000000/B00000000000', secret: 'XXXXXXXXXXXXXXXXXXXXXXXX', trigger: 'error' },
    });
  });
});
