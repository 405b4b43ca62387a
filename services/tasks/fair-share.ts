import type { Clock } from '../core/clock';
import type { InstanceRepo } from '../instances/instance-repo';
import type { Task, TaskRepo } from './task-repo';

/**
 * Keeps one tenant's burst of tasks from starving the others: a tenant may hold at most `share` of a type's
 * concurrency (at least one) running at once, across the box. A worker that picks up a task beyond its tenant's
 * share puts it back at the end of the queue for a moment, so the other tenants' tasks get the free slots.
 * A box with one tenant is not limited. Within a process, the count and the claim happen under one lock per
 * tenant and type, so a worker's concurrent slots cannot all pass at once; workers in different processes are
 * not locked against each other, so a tenant may briefly run a task or two over its share: a fairness rule,
 * not a quota.
 */
export class FairShare {
  private tenants = { count: 0, until: 0 };

  constructor(private readonly deps: { tasks: TaskRepo; instances: InstanceRepo; share: number; clock: Clock }) {}

  private readonly locks = new Map<string, Promise<unknown>>();

  /** Claims the task through `claim` unless its tenant already runs its share of the type's `concurrency` (then 'wait'). */
  async admit(taskId: number, concurrency: number, claim: () => Promise<Task | undefined>): Promise<Task | undefined | 'wait'> {
    if (this.deps.share >= 1 || (await this.tenantCount()) < 2) return claim();
    const task = await this.deps.tasks.get(taskId);
    if (!task) return undefined;
    const limit = Math.max(1, Math.floor(concurrency * this.deps.share));
    return this.serialised(`${task.instanceId}:${task.type}`, async () =>
      (await this.deps.tasks.countActive(task.instanceId, task.type)) >= limit ? 'wait' : claim(),
    );
  }

  private serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }

  /** Tenants come and go rarely: counted at most every 10 s. */
  private async tenantCount(): Promise<number> {
    const now = this.deps.clock().getTime();
    if (now >= this.tenants.until) this.tenants = { count: await this.deps.instances.count(), until: now + 10_000 };
    return this.tenants.count;
  }
}
