import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import type { AppRepo } from '../apps/app-repo';
import type { EventlogRepo } from '../eventlog/eventlog-repo';
import type { GroupRepo } from '../groups/group-repo';
import type { InstanceRepo } from '../instances/instance-repo';
import type { SettingsRepo } from '../settings/settings-repo';
import type { UserRepo } from '../users/user-repo';
import type { AppRuntime } from '../apps/app-runtime';
import type { TaskContext } from '../tasks/task-handler';
import type { ExportPart, ExportRepo } from './export-repo';
import { NAME_SETTING, TIME_ZONE_SETTING } from '../settings/settings-service';
import { SETTING_ACTIVATED } from '../cloudron/dashboard-setup';

/**
 * Builds a tenant's export in parts, as cozy-stack's: part one (cursor null) is a gzipped tar of the tenant's
 * records as JSON (instance, users without password hashes, groups, apps, settings, audit log); then one tar
 * per app with its `/app/data` (cursor = the app's id). Parts go to `<data dir>/exports/<instance>/<export>/`,
 * written aside and renamed, so a re-run after a crash rewrites them whole.
 */
export class TenantExporter {
  constructor(
    private readonly deps: {
      exports: ExportRepo;
      /** What records.tar.gz holds. */
      instances: InstanceRepo;
      users: UserRepo;
      groups: GroupRepo;
      apps: AppRepo;
      settings: SettingsRepo;
      events: EventlogRepo;
      runtime: AppRuntime;
      dataDir: string;
    },
  ) {}

  dir(instanceId: string, exportId: string): string {
    return path.join(this.deps.dataDir, 'exports', instanceId, exportId);
  }

  async run(instanceId: string, exportId: string, ctx: TaskContext): Promise<unknown> {
    try {
      return await this.build(instanceId, exportId, ctx);
    } catch (err) {
      await this.deps.exports.finish(exportId, { state: 'error', parts: [], size: 0 }).catch(() => undefined);
      throw err;
    }
  }

  private async build(instanceId: string, exportId: string, ctx: TaskContext): Promise<unknown> {
    const dir = this.dir(instanceId, exportId);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    ctx.progress(10, 'Exporting records');
    const parts: ExportPart[] = [await this.records(instanceId, dir)];
    const apps = await this.deps.apps.list(instanceId);
    for (const [index, app] of apps.entries()) {
      if (!app.manifest.addons?.localstorage) continue;
      ctx.progress(30 + Math.round((index / apps.length) * 60), `Exporting the data of ${app.fqdn}`);
      const archive = await this.deps.runtime.archive(app.id, '/app/data');
      if (!archive) {
        ctx.log(`${app.fqdn} has no container: its data is not in this export`);
        continue;
      }
      parts.push({ cursor: app.id, ...(await this.write(path.join(dir, `app-${app.id}.tar`), async (out) => pipeline(archive, out))) });
    }
    const size = parts.reduce((sum, p) => sum + p.size, 0);
    await this.deps.exports.finish(exportId, { state: 'done', parts, size });
    ctx.progress(100, 'Done');
    return { exportId, parts: parts.length, size };
  }

  private async records(instanceId: string, dir: string): Promise<ExportPart> {
    const repos = this.deps;
    const instance = await repos.instances.get(instanceId);
    const users = (await repos.users.list({ instanceId, page: 1, perPage: 1_000_000 })).map(({ passwordHash, ...user }) => ({ ...user, passwordSet: passwordHash !== null }));
    const groups = await repos.groups.list(instanceId);
    const members = await repos.groups.members(groups.map((g) => g.id));
    const apps = await repos.apps.list(instanceId);
    const settings = await repos.settings.getMany(instanceId, [NAME_SETTING, TIME_ZONE_SETTING, SETTING_ACTIVATED]);
    const events = await repos.events.list({ instanceId, page: 1, perPage: 100_000 });
    const files: Record<string, unknown> = {
      'instance.json': instance,
      'users.json': users,
      'groups.json': groups.map((g) => ({ ...g, userIds: members.get(g.id) ?? [] })),
      'apps.json': apps,
      'settings.json': settings,
      'eventlog.json': events,
    };
    return { cursor: null, ...(await this.write(path.join(dir, 'records.tar.gz'), async (out) => {
      const tar = pack();
      const done = pipeline(tar, createGzip(), out);
      for (const [name, value] of Object.entries(files)) tar.entry({ name, mode: 0o600 }, JSON.stringify(value, null, 2));
      tar.finalize();
      await done;
    })) };
  }

  private async write(file: string, fill: (out: fs.WriteStream) => Promise<void>): Promise<{ file: string; size: number }> {
    const temporary = `${file}.partial`;
    await fill(fs.createWriteStream(temporary, { mode: 0o600 }));
    fs.renameSync(temporary, file);
    return { file: path.basename(file), size: fs.statSync(file).size };
  }
}
