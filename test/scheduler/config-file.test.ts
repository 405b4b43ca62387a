import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activate, startTestApp, type TestApp } from '../helpers/app';

const EXAMPLES = '/work/shared/research/ofelia-examples';

/** What each INI example loads into, through BERTH_SCHEDULER_CONFIG (the README's first table): type, name, schedule. */
const README_JOBS = [
  ['exec', 'job-executed-on-running-container', '@hourly'],
  ['local', 'job-executed-on-current-host', '@hourly'],
  ['run', 'job-executed-on-new-container', '@hourly'],
  ['service-run', 'service-executed-on-new-container', '0,20,40 * * * *'],
];
const EXPECTED: Record<string, string[][]> = {
  '01-mcuadros-readme.ini': README_JOBS,
  '02-mcuadros-jobs-exec.ini': [['exec', 'flush-nginx-logs', '@hourly']],
  '03-mcuadros-jobs-run.ini': [['run', 'print-write-date', '@every 5s']],
  '04-mcuadros-jobs-local.ini': [['local', 'create-file', '@every 15s']],
  '05-mcuadros-jobs-service-run.ini': [['service-run', 'service-executed-on-new-container', '0,20,40 * * * *']],
  '06-netresearch-readme-global.ini': README_JOBS,
  '07-netresearch-example-ofelia.ini': [['local', 'local-echo', '@every 45s'], ['run', 'run-date', '@every 30s']],
  '08-netresearch-hybrid-global-only.ini': [],
  '09-netresearch-test-run-job.ini': [['run', 'job', '*/1 * * * *']],
  '10-netresearch-jobs-exec.ini': [['exec', 'backup-logs', '@daily'], ['exec', 'flush-nginx-logs', '@hourly']],
};

/**
 * The operator's INI file as a source, on a real Berth: every example loads unmodified into the jobs its README
 * lists (run by the default tenant, with the operator's rights), a broken file keeps the jobs it had and reports
 * the line, a removed file takes its jobs, `${VAR}` comes from the environment, and API overrides survive a reload.
 */
describe('the INI configuration file', () => {
  let app: TestApp;
  let dir: string;
  let instanceId: string;
  const file = () => path.join(dir, 'ofelia.ini');

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ofelia-'));
    app = await startTestApp({ workers: false, env: { BERTH_SCHEDULER_CONFIG: path.join(dir, '*.ini') } });
    // The file's ${VAR}s come from Berth's own environment, as Ofelia's do.
    process.env.SMTP_PASSWORD = 's3cret';
    await activate(app);
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(async () => {
    delete process.env.SMTP_PASSWORD;
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const config = () => app.berth.scheduler.schedulerConfig;
  const listed = async () => (await app.berth.scheduler.schedulerJobs.list(instanceId)).map((j) => [j.type, j.name, j.scheduleOverride ?? j.spec.schedule]).sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
  const sorted = (jobs: string[][]) => [...jobs].sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));

  it.each(Object.keys(EXPECTED))('loads %s unmodified into the jobs its README lists', async (name) => {
    fs.copyFileSync(path.join(EXAMPLES, name), file());
    const report = await config().reload();
    expect(report.errors).toEqual([]);
    expect(report.refused).toEqual([]);
    expect(await listed()).toEqual(sorted(EXPECTED[name]));
    const stored = await app.berth.scheduler.schedulerJobs.list(instanceId);
    expect(stored.every((j) => j.origin === 'config' && j.operator && j.sourceKey === file())).toBe(true);
  });

  it('keeps the jobs a file had when it no longer parses, and names the line', async () => {
    fs.copyFileSync(path.join(EXAMPLES, '02-mcuadros-jobs-exec.ini'), file());
    await config().reload();
    fs.writeFileSync(file(), '[job-exec "a"]\nschedule = @hourly\ncontainer = c\ncommand = true\n[job-cron "b"]\n');
    const report = await config().reload();
    expect(report.errors).toEqual([{ file: file(), line: 5, message: expect.stringContaining(':5:') }]);
    expect(await listed()).toEqual([['exec', 'flush-nginx-logs', '@hourly']]);
  });

  it('refuses one bad job with its reason and loads the others', async () => {
    fs.writeFileSync(file(), '[job-exec "good"]\nschedule = @hourly\ncontainer = c\ncommand = true\n\n[job-exec "bad"]\nschedule = @every 1d\ncontainer = c\ncommand = true\n');
    const report = await config().reload();
    expect(report.added).toEqual(['good']);
    expect(report.removed).toEqual(['flush-nginx-logs']);
    expect(report.refused).toEqual([{ job: 'bad', reason: expect.stringMatching(/bad\.schedule/) }]);
    expect(await listed()).toEqual([['exec', 'good', '@hourly']]);
  });

  it('keeps a schedule override and a disabled flag across reloads, and reports only real changes', async () => {
    const actor = { instanceId, userId: null, tokenId: null, ip: null };
    await app.berth.scheduler.schedulerJobs.put(actor, 'good', { schedule: '@daily', enabled: false });
    fs.writeFileSync(file(), '\n\n[job-exec "good"]\nschedule = @hourly\ncontainer = c\ncommand = true\n');
    const moved = await config().reload();
    expect(moved).toMatchObject({ added: [], updated: [], removed: [] });
    fs.writeFileSync(file(), '[job-exec "good"]\nschedule = @hourly\ncontainer = c\ncommand = false\n');
    expect((await config().reload()).updated).toEqual(['good']);
    const job = await app.berth.scheduler.schedulerJobs.get(instanceId, 'good');
    expect(job).toMatchObject({ enabled: false, scheduleOverride: '@daily', spec: expect.objectContaining({ command: 'false' }) });
  });

  it('substitutes ${VAR} from the environment, and reads only files that changed unless forced', async () => {
    fs.writeFileSync(file(), '[job-run "env"]\nschedule = @hourly\nimage = busybox\ncommand = echo hi\nenvironment = PASSWORD=${SMTP_PASSWORD}\nenvironment = KEEP=${NOT_SET}\n');
    await config().reload();
    const job = await app.berth.scheduler.schedulerJobs.get(instanceId, 'env');
    expect(job.spec.environment).toEqual(['PASSWORD=s3cret', 'KEEP=${NOT_SET}']);
    expect(await config().reload(false)).toMatchObject({ added: [], updated: [], removed: [] });
  });

  it('takes the jobs of a file that is gone, and reads every file a glob names', async () => {
    fs.copyFileSync(path.join(EXAMPLES, '02-mcuadros-jobs-exec.ini'), path.join(dir, 'a.ini'));
    fs.copyFileSync(path.join(EXAMPLES, '04-mcuadros-jobs-local.ini'), path.join(dir, 'b.ini'));
    fs.rmSync(file());
    const report = await config().reload();
    expect(report.removed).toEqual(['env']);
    expect(await listed()).toEqual([['local', 'create-file', '@every 15s'], ['exec', 'flush-nginx-logs', '@hourly']]);
  });
});
