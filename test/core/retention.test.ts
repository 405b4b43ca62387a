import { runRetention } from '../../workers/retention';
import { EventlogService } from '../../services/eventlog/eventlog-service';
import { createLogger } from '../../services/core/logger';
import { activate, bearer, OWNER, startTestApp, TASK_ENV, waitForTask, createTask } from '../helpers/app';

describe('retention', () => {
  it('removes old tasks and events, keeping login events longest', async () => {
    let now = Date.now();
    const clock = () => new Date(now);
    const app = await startTestApp({ env: TASK_ENV, workers: true, clock });
    try {
      const token = (await activate(app)).token;
      await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200);
      await app.api.post('/api/v1/groups').set(bearer(token)).send({ name: 'Old' }).expect(201);
      const instanceId = (await app.berth.store.instances.findDefault())!.id;
      const task = await createTask(app.berth, { instanceId, type: '_noop' });
      await waitForTask(app, token, task.id);

      const eventlog = new EventlogService({ events: app.berth.store.eventlog, clock });
      const deps = { tasks: app.berth.tasks, eventlog, clock, logger: createLogger('silent'), days: { tasks: 30, events: 90, loginEvents: 365 } };
      const actions = async () => (await app.berth.db('eventlog').select('action')).map((r: { action: string }) => r.action).sort();

      now += 31 * 24 * 3600_000;
      await runRetention(deps);
      expect(await app.berth.store.tasks.get(task.id)).toBeUndefined();
      expect(await actions()).toEqual(['cloudron.activate', 'group.add', 'user.login']);

      now += 90 * 24 * 3600_000;
      await runRetention(deps);
      expect(await actions()).toEqual(['user.login']);

      now += 300 * 24 * 3600_000;
      await runRetention(deps);
      expect(await actions()).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
