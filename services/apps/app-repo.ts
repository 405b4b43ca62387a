import type { Db } from '../db/database';
import { asBoolean, boolean, integer, integerOrNull, jsonOrNull, jsonText, mapTable, text, textOrNull } from '../db/columns';
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

/** What the apps table holds; `hasIcon` and the port bindings come from elsewhere. */
type AppRecord = Omit<App, 'hasIcon' | 'portBindings'>;

const apps = mapTable<AppRecord>('apps', {
  id: text(),
  instanceId: text(),
  appStoreId: textOrNull(),
  manifest: jsonText(),
  installationState: text(),
  runState: text(),
  health: textOrNull(),
  healthTime: textOrNull(),
  taskId: integerOrNull(),
  error: jsonOrNull(),
  location: text(),
  domain: text(),
  fqdn: text(),
  accessRestriction: jsonOrNull(),
  label: textOrNull(),
  tags: jsonText(),
  memoryLimit: integer(),
  env: jsonText(),
  sso: boolean(),
  enableBackup: boolean(),
  enableAutomaticUpdate: boolean(),
  alternateDomains: jsonText(),
  httpPort: integerOrNull(),
  createdAt: text(),
  updatedAt: text(),
});

const portBindings = mapTable<PortBinding & { appId: string }>('app_port_bindings', {
  appId: text(),
  envName: text(),
  hostPort: integer(),
  protocol: text(),
});

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
    const { hasIcon: _hasIcon, portBindings: bindings, ...record } = app;
    await this.db(apps.table).insert(apps.toRow(record));
    await this.replacePortBindings(app.id, bindings);
  }

  async update(id: string, patch: AppPatch, now: string, onlyIn?: InstallationState[]) {
    let query = this.db('apps').where({ id });
    if (onlyIn) query = query.whereIn('installation_state', onlyIn);
    return (await query.update(apps.toRow({ ...patch, updatedAt: now }))) > 0;
  }

  async delete(id: string) {
    await this.db('apps').where({ id }).delete();
  }

  async replacePortBindings(appId: string, bindings: PortBinding[]) {
    await this.db('app_port_bindings').where({ app_id: appId }).delete();
    if (bindings.length) {
      await this.db('app_port_bindings').insert(
        bindings.map((binding) => portBindings.toRow({ ...binding, appId })),
      );
    }
  }

  async takenPorts(bindings: PortBinding[], exceptAppId?: string) {
    if (!bindings.length) return [];
    let query = this.db('app_port_bindings').whereIn('host_port', bindings.map((b) => b.hostPort));
    if (exceptAppId) query = query.whereNot({ app_id: exceptAppId });
    const taken: PortBinding[] = (await query.select(portBindings.columns)).map(portBindings.fromRow);
    return bindings.filter((b) => taken.some((t) => t.hostPort === b.hostPort && t.protocol === b.protocol));
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
    const rows: Array<Record<string, unknown>> = await filter(this.db(apps.table)).select(
      ...apps.qualified,
      this.db.raw('(case when apps.icon is null then 0 else 1 end) as has_icon'),
    );
    const records = rows.map((row) => ({ ...apps.fromRow(row), hasIcon: asBoolean(row.has_icon) }));
    const bindings = await this.bindingsOf(records.map((r) => r.id));
    return records.map((record) => ({ ...record, portBindings: bindings.get(record.id) ?? [] }));
  }

  private async bindingsOf(appIds: string[]): Promise<Map<string, PortBinding[]>> {
    const map = new Map<string, PortBinding[]>();
    if (!appIds.length) return map;
    // Chunked: SQLite allows a limited number of bound parameters in one statement.
    for (let i = 0; i < appIds.length; i += 500) {
      const rows = await this.db(portBindings.table).whereIn('app_id', appIds.slice(i, i + 500)).orderBy('env_name');
      for (const { appId, ...binding } of rows.map(portBindings.fromRow)) {
        const list = map.get(appId) ?? [];
        list.push(binding);
        map.set(appId, list);
      }
    }
    return map;
  }
}
