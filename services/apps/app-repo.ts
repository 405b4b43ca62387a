import type { Db } from '../db/database';
import { bool, json } from '../db/database';
import type { Manifest } from './manifest';
import type { InstallationState, RunState, Health } from './app-states';

export interface AccessRestriction {
  users: string[];
  groups: string[];
}

export interface PortBinding {
  envName: string;
  hostPort: number;
  protocol: 'tcp' | 'udp';
}

export interface AppError {
  message: string;
  /** What the app was doing when it failed (`pending_install`, …). */
  installationState: string;
  taskId: number | null;
  reason?: string;
}

export interface App {
  id: string;
  instanceId: string;
  appStoreId: string | null;
  manifest: Manifest;
  installationState: InstallationState;
  runState: RunState;
  health: Health | null;
  healthTime: string | null;
  taskId: number | null;
  error: AppError | null;
  location: string;
  domain: string;
  fqdn: string;
  accessRestriction: AccessRestriction | null;
  label: string | null;
  tags: string[];
  memoryLimit: number;
  env: Record<string, string>;
  sso: boolean;
  enableBackup: boolean;
  enableAutomaticUpdate: boolean;
  alternateDomains: Array<{ domain: string; subdomain: string }>;
  httpPort: number | null;
  hasIcon: boolean;
  portBindings: PortBinding[];
  createdAt: string;
  updatedAt: string;
}

/** The columns a service may change in one write. */
export type AppPatch = Partial<
  Pick<
    App,
    | 'manifest' | 'appStoreId' | 'installationState' | 'runState' | 'health' | 'healthTime' | 'taskId' | 'error' | 'location' | 'domain'
    | 'fqdn' | 'accessRestriction' | 'label' | 'tags' | 'memoryLimit' | 'env' | 'sso' | 'enableBackup' | 'enableAutomaticUpdate'
    | 'alternateDomains' | 'httpPort'
  >
>;

export interface AppRepo {
  get(instanceId: string, id: string): Promise<App | undefined>;
  /** Any tenant's app, for workers and the health monitor. */
  getAny(id: string): Promise<App | undefined>;
  list(instanceId: string): Promise<App[]>;
  /** Apps of every tenant in these installation states. */
  listInStates(states: InstallationState[]): Promise<App[]>;
  insert(app: App): Promise<void>;
  /** Writes the patch; with `onlyIn`, only while the app is in one of those states. False when nothing matched. */
  update(id: string, patch: AppPatch, now: string, onlyIn?: InstallationState[]): Promise<boolean>;
  delete(id: string): Promise<void>;
  replacePortBindings(appId: string, bindings: PortBinding[]): Promise<void>;
  /** Which of these host ports are taken by apps other than `exceptAppId`. */
  takenPorts(bindings: PortBinding[], exceptAppId?: string): Promise<PortBinding[]>;
  getIcon(instanceId: string, id: string): Promise<Buffer | null | undefined>;
  setIcon(id: string, icon: Buffer | null, now: string): Promise<void>;
  countAll(): Promise<number>;
}

interface AppRow {
  id: string;
  instance_id: string;
  app_store_id: string | null;
  manifest: string;
  installation_state: InstallationState;
  run_state: RunState;
  health: Health | null;
  health_time: string | null;
  task_id: number | string | null;
  error: string | null;
  location: string;
  domain: string;
  fqdn: string;
  access_restriction: string | null;
  label: string | null;
  tags: string;
  memory_limit: number | string;
  env: string;
  sso: boolean | number;
  enable_backup: boolean | number;
  enable_automatic_update: boolean | number;
  alternate_domains: string;
  http_port: number | null;
  has_icon: boolean | number;
  created_at: string;
  updated_at: string;
}

const JSON_COLUMNS = new Set(['manifest', 'error', 'access_restriction', 'tags', 'env', 'alternate_domains']);
const COLUMN: Record<keyof AppPatch, string> = {
  manifest: 'manifest', appStoreId: 'app_store_id', installationState: 'installation_state', runState: 'run_state', health: 'health',
  healthTime: 'health_time', taskId: 'task_id', error: 'error', location: 'location', domain: 'domain', fqdn: 'fqdn',
  accessRestriction: 'access_restriction', label: 'label', tags: 'tags', memoryLimit: 'memory_limit', env: 'env', sso: 'sso',
  enableBackup: 'enable_backup', enableAutomaticUpdate: 'enable_automatic_update', alternateDomains: 'alternate_domains', httpPort: 'http_port',
};

function toColumns(patch: AppPatch): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    const column = COLUMN[key as keyof AppPatch];
    row[column] = JSON_COLUMNS.has(column) && value !== null ? JSON.stringify(value) : value;
  }
  return row;
}

const nullableJson = <T>(value: string | null): T | null => (value === null ? null : json<T>(value));

function fromRow(row: AppRow, bindings: PortBinding[]): App {
  return {
    id: row.id,
    instanceId: row.instance_id,
    appStoreId: row.app_store_id,
    manifest: json<Manifest>(row.manifest),
    installationState: row.installation_state,
    runState: row.run_state,
    health: row.health,
    healthTime: row.health_time,
    taskId: row.task_id === null ? null : Number(row.task_id),
    error: nullableJson<AppError>(row.error),
    location: row.location,
    domain: row.domain,
    fqdn: row.fqdn,
    accessRestriction: nullableJson<AccessRestriction>(row.access_restriction),
    label: row.label,
    tags: json<string[]>(row.tags),
    memoryLimit: Number(row.memory_limit),
    env: json<Record<string, string>>(row.env),
    sso: bool(row.sso),
    enableBackup: bool(row.enable_backup),
    enableAutomaticUpdate: bool(row.enable_automatic_update),
    alternateDomains: json<App['alternateDomains']>(row.alternate_domains),
    httpPort: row.http_port,
    hasIcon: bool(row.has_icon),
    portBindings: bindings,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class KnexAppRepo implements AppRepo {
  constructor(private readonly db: Db) {}

  async get(instanceId: string, id: string) {
    return (await this.select((q) => q.where({ 'apps.instance_id': instanceId, 'apps.id': id })))[0];
  }

  async getAny(id: string) {
    return (await this.select((q) => q.where({ 'apps.id': id })))[0];
  }

  list(instanceId: string) {
    return this.select((q) => q.where({ 'apps.instance_id': instanceId }).orderBy([{ column: 'apps.created_at' }, { column: 'apps.id' }]));
  }

  listInStates(states: InstallationState[]) {
    return this.select((q) => q.whereIn('apps.installation_state', states).orderBy('apps.id'));
  }

  async insert(app: App) {
    await this.db('apps').insert({
      id: app.id,
      instance_id: app.instanceId,
      created_at: app.createdAt,
      updated_at: app.updatedAt,
      ...toColumns({
        appStoreId: app.appStoreId, manifest: app.manifest, installationState: app.installationState, runState: app.runState,
        health: app.health, healthTime: app.healthTime, taskId: app.taskId, error: app.error, location: app.location, domain: app.domain,
        fqdn: app.fqdn, accessRestriction: app.accessRestriction, label: app.label, tags: app.tags, memoryLimit: app.memoryLimit,
        env: app.env, sso: app.sso, enableBackup: app.enableBackup, enableAutomaticUpdate: app.enableAutomaticUpdate,
        alternateDomains: app.alternateDomains, httpPort: app.httpPort,
      }),
    });
    await this.replacePortBindings(app.id, app.portBindings);
  }

  async update(id: string, patch: AppPatch, now: string, onlyIn?: InstallationState[]) {
    let query = this.db('apps').where({ id });
    if (onlyIn) query = query.whereIn('installation_state', onlyIn);
    return (await query.update({ ...toColumns(patch), updated_at: now })) > 0;
  }

  async delete(id: string) {
    await this.db('apps').where({ id }).delete();
  }

  async replacePortBindings(appId: string, bindings: PortBinding[]) {
    await this.db('app_port_bindings').where({ app_id: appId }).delete();
    if (bindings.length) {
      await this.db('app_port_bindings').insert(
        bindings.map((b) => ({ app_id: appId, env_name: b.envName, host_port: b.hostPort, protocol: b.protocol })),
      );
    }
  }

  async takenPorts(bindings: PortBinding[], exceptAppId?: string) {
    if (!bindings.length) return [];
    let query = this.db('app_port_bindings').whereIn('host_port', bindings.map((b) => b.hostPort));
    if (exceptAppId) query = query.whereNot({ app_id: exceptAppId });
    const rows: Array<{ host_port: number; protocol: string }> = await query.select('host_port', 'protocol');
    return bindings.filter((b) => rows.some((r) => r.host_port === b.hostPort && r.protocol === b.protocol));
  }

  async getIcon(instanceId: string, id: string) {
    const row = await this.db('apps').where({ instance_id: instanceId, id }).first('icon');
    if (!row) return undefined;
    return row.icon ? Buffer.from(row.icon) : null;
  }

  async setIcon(id: string, icon: Buffer | null, now: string) {
    await this.db('apps').where({ id }).update({ icon, updated_at: now });
  }

  async countAll() {
    const row = await this.db('apps').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  private async select(filter: (q: ReturnType<Db>) => ReturnType<Db>): Promise<App[]> {
    const columns = Object.values(COLUMN).map((c) => `apps.${c}`);
    const rows: AppRow[] = await filter(this.db('apps')).select(
      'apps.id', 'apps.instance_id', 'apps.created_at', 'apps.updated_at', ...columns,
      this.db.raw('(case when apps.icon is null then 0 else 1 end) as has_icon'),
    );
    const bindings = await this.bindingsOf(rows.map((r) => r.id));
    return rows.map((row) => fromRow(row, bindings.get(row.id) ?? []));
  }

  private async bindingsOf(appIds: string[]): Promise<Map<string, PortBinding[]>> {
    const map = new Map<string, PortBinding[]>();
    if (!appIds.length) return map;
    // Chunked: SQLite allows a limited number of bound parameters in one statement.
    for (let i = 0; i < appIds.length; i += 500) {
      const rows = await this.db('app_port_bindings').whereIn('app_id', appIds.slice(i, i + 500)).orderBy('env_name');
      for (const row of rows as Array<{ app_id: string; env_name: string; host_port: number; protocol: 'tcp' | 'udp' }>) {
        const list = map.get(row.app_id) ?? [];
        list.push({ envName: row.env_name, hostPort: row.host_port, protocol: row.protocol });
        map.set(row.app_id, list);
      }
    }
    return map;
  }
}
