import { INSTANCE_DELETE_TASK_TYPE, INSTANCE_EXPORT_TASK_TYPE } from './tenant-tasks';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { BerthError, conflict, notFound, validationError } from '../core/errors';
import { isUniqueViolation } from '../db/database';
import type { Transactor } from '../db/transactor';
import type { AppRepo } from '../apps/app-repo';
import type { SettingsRepo } from '../settings/settings-repo';
import type { TokenRepo } from '../tokens/token-repo';
import type { UserRepo } from '../users/user-repo';
import type { ExportRepo } from './export-repo';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import type { InstancePatch, InstanceRepo, Quotas, StoredInstance } from '../instances/instance-repo';
import type { TaskService } from '../tasks/task-service';
import { CLIENT_API, CLIENT_LOGIN, hashSecret, type TokenService } from '../tokens/token-service';
import type { InvitationService } from '../users/invitation-service';
import { checkDomain } from '../apps/app-input';
import type { CodeKind, CodeRepo } from './code-repo';
import type { Contexts } from './contexts';
import { SETTING_ACTIVATED } from '../cloudron/dashboard-setup';


export interface NewTenant {
  domain: string;
  email: string;
  locale?: string;
  context?: string;
  quotas?: Quotas;
}

export type TenantPatch = Partial<Pick<StoredInstance, 'email' | 'locale' | 'context' | 'quotas' | 'blocked' | 'blockingReason'>>;

/** How long the other one-time codes work; session codes are configured (BERTH_SESSION_CODE_SECS). */
const CODE_LIFETIME_MS: Record<Exclude<CodeKind, 'session_code'>, number> = {
  magic_link: 15 * 60_000,
  email_verified_code: 15 * 60_000,
};
const TOKEN_LIFETIME_MS = { default: 3600_000, max: 24 * 3600_000 };
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Who acts through the admin API: the operator, recorded in the tenant's audit log. */
const operator = (instanceId: string, ip: string | null): Actor => ({ instanceId, userId: null, tokenId: null, ip });

/**
 * Tenant management for operators (the admin API): the cozy-style instance lifecycle. Deletion and export are
 * tasks; everything else is one request. Every change is recorded in the tenant's own audit log.
 */
export class TenantService {
  constructor(
    private readonly deps: {
      instances: InstanceRepo;
      users: UserRepo;
      apps: AppRepo;
      exports: ExportRepo;
      codes: CodeRepo;
      tokenRepo: TokenRepo;
      /** A new tenant: its instance, its owner and its activation, together or not at all. */
      transactor: Transactor<{ instances: InstanceRepo; users: UserRepo; settings: SettingsRepo }>;
      tokens: TokenService;
      invitations: InvitationService;
      tasks: TaskService;
      eventlog: EventlogService;
      contexts: Contexts;
      clock: Clock;
      /** A session code logs someone in: it works once, and only for this long. */
      sessionCodeLifetimeMs: number;
      /** Called when a tenant's control-plane state changes, so request-time caches drop it. */
      changed: (instanceId: string) => void;
    },
  ) {}

  async list(page: { limit: number; skip: number }): Promise<{ instances: StoredInstance[]; count: number }> {
    const [instances, count] = await Promise.all([this.deps.instances.list(page), this.deps.instances.count()]);
    return { instances, count };
  }

  count(): Promise<number> {
    return this.deps.instances.count();
  }

  /** By domain, or by id (the default instance has no domain). */
  async get(domain: string): Promise<StoredInstance> {
    const instance = (await this.deps.instances.findByDomains([normalise(domain)])) ?? (await this.deps.instances.get(domain));
    if (!instance) throw notFound(`No instance ${domain}`);
    return instance;
  }

  /**
   * A tenant with its owner, who is invited (the returned link, mailed too when SMTP is set up) to choose a
   * username and password. The tenant counts as activated: its box API never offers first-run setup.
   */
  async create(input: NewTenant, ip: string | null): Promise<{ instance: StoredInstance; ownerId: string; inviteLink: string }> {
    const domain = checkDomain(input.domain);
    if (!EMAIL.test(input.email)) throw validationError('email must be an email address', { field: 'email' });
    const locale = checkLocale(input.locale ?? 'en');
    const context = this.checkContext(input.context ?? 'default');
    const now = this.now();
    const instanceId = newId('ins');
    const ownerId = newId('uid');
    try {
      await this.deps.transactor.transaction(async (repos) => {
        await repos.instances.insert({
          id: instanceId, domain, isDefault: false, createdAt: now, locale, email: input.email, context, quotas: checkQuotas(input.quotas ?? {}),
        });
        await repos.users.insert({
          id: ownerId, instanceId, username: null, email: input.email, fallbackEmail: '', displayName: '', role: 'owner', active: true,
          passwordHash: null, createdAt: now, updatedAt: now,
        });
        await repos.settings.insertOnce(instanceId, SETTING_ACTIVATED, { at: now, by: 'admin' });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`An instance with the domain ${domain} exists`, { field: 'domain' });
      throw err;
    }
    this.deps.changed(instanceId);
    const principal = { instanceId, userId: ownerId, role: 'owner' as const, tokenId: '', readOnly: false };
    const actor = operator(instanceId, ip);
    const { link } = await this.deps.invitations.inviteAndMail(principal, actor, ownerId);
    await this.deps.eventlog.record(actor, 'instance.create', instanceId, { domain, email: input.email, context, locale });
    return { instance: (await this.deps.instances.get(instanceId))!, ownerId, inviteLink: link };
  }

  async patch(domain: string, patch: TenantPatch, ip: string | null): Promise<StoredInstance> {
    const instance = await this.get(domain);
    const changes: InstancePatch = {};
    if (patch.email !== undefined) {
      if (!EMAIL.test(patch.email ?? '')) throw validationError('email must be an email address', { field: 'email' });
      changes.email = patch.email;
    }
    if (patch.locale !== undefined) changes.locale = checkLocale(patch.locale);
    if (patch.context !== undefined) changes.context = this.checkContext(patch.context);
    if (patch.quotas !== undefined) changes.quotas = checkQuotas(patch.quotas);
    if (patch.blocked !== undefined) {
      changes.blocked = patch.blocked;
      changes.blockingReason = patch.blocked ? (patch.blockingReason ?? 'UNKNOWN') : null;
    } else if (patch.blockingReason !== undefined && instance.blocked) {
      changes.blockingReason = patch.blockingReason;
    }
    await this.deps.instances.update(instance.id, changes, this.now());
    this.deps.changed(instance.id);
    await this.deps.eventlog.record(operator(instance.id, ip), 'instance.update', instance.id, { changes });
    return (await this.deps.instances.get(instance.id))!;
  }

  /** Flags the tenant as deleting (its box API answers 401 from now on) and starts the deletion task. */
  async remove(domain: string, ip: string | null): Promise<number> {
    const instance = await this.get(domain);
    if (instance.isDefault) throw new BerthError('FORBIDDEN', 403, 'The default instance cannot be deleted');
    await this.deps.instances.update(instance.id, { deleting: true }, this.now());
    this.deps.changed(instance.id);
    await this.deps.eventlog.record(operator(instance.id, ip), 'instance.delete', instance.id, { domain });
    const task = await this.deps.tasks.create(INSTANCE_DELETE_TASK_TYPE, {
      instanceId: instance.id,
      args: { instanceId: instance.id, domain: instance.domain },
      objectKey: `instance:${instance.id}`,
    });
    return task.id;
  }

  /** Starts an export task; its parts are downloaded with `exportPart` once it is done. */
  async startExport(domain: string, ip: string | null): Promise<{ exportId: string; taskId: number }> {
    const instance = await this.get(domain);
    const exportId = randomUUID();
    await this.deps.exports.insert({ id: exportId, instanceId: instance.id, taskId: null, state: 'queued', parts: [], size: 0, createdAt: this.now() });
    const task = await this.deps.tasks.create(INSTANCE_EXPORT_TASK_TYPE, {
      instanceId: instance.id,
      args: { instanceId: instance.id, exportId },
      objectKey: `export:${exportId}`,
    });
    await this.deps.exports.setTask(exportId, task.id);
    await this.deps.eventlog.record(operator(instance.id, ip), 'instance.export', exportId, { taskId: task.id });
    return { exportId, taskId: task.id };
  }

  /** The export, and the part with this cursor (the first part without one); 409 while it is being built. */
  async exportPart(domain: string, exportId: string, cursor: string | undefined) {
    const instance = await this.get(domain);
    const found = await this.deps.exports.get(instance.id, exportId);
    if (!found) throw notFound('No such export');
    if (found.state !== 'done') throw conflict(`The export is ${found.state === 'queued' ? 'still being built' : 'failed'}`, { state: found.state });
    const part = found.parts.find((p) => p.cursor === (cursor ?? null));
    if (!part) throw notFound(`No part with cursor ${cursor}`);
    return { export: found, part, cursors: found.parts.filter((p) => p.cursor !== null).map((p) => p.cursor as string) };
  }

  async getExport(domain: string, exportId: string) {
    const instance = await this.get(domain);
    const found = await this.deps.exports.get(instance.id, exportId);
    if (!found) throw notFound('No such export');
    return found;
  }

  /** The day a person last used the tenant (a login token created or used), or null. */
  async lastActivity(domain: string): Promise<string | null> {
    const instance = await this.get(domain);
    const last = await this.deps.tokenRepo.lastActivity(instance.id, CLIENT_LOGIN);
    return last ? last.slice(0, 10) : null;
  }

  /** Domains of tenants with an app from this catalogue id at this version. */
  async withAppVersion(slug: string, version: string): Promise<string[]> {
    const apps = await this.deps.apps.listInStates(['installed', 'error', 'pending_configure', 'pending_restart', 'pending_start', 'pending_stop', 'pending_recreate']);
    const ids = new Set(apps.filter((a) => (a.appStoreId ?? a.manifest.id) === slug && a.manifest.version === version).map((a) => a.instanceId));
    const domains: string[] = [];
    for (const id of ids) {
      const instance = await this.deps.instances.get(id);
      if (instance?.domain) domains.push(instance.domain);
    }
    return domains.sort();
  }

  /** Logs every person out: the tenant's login tokens go (API tokens stay). */
  async revokeSessions(domain: string, ip: string | null): Promise<number> {
    const instance = await this.get(domain);
    const removed = await this.deps.tokenRepo.deleteForInstance(instance.id, CLIENT_LOGIN);
    await this.deps.eventlog.record(operator(instance.id, ip), 'instance.sessions.revoke', instance.id, { tokens: removed });
    return removed;
  }

  /** `DELETE /oauth/{domain}/clients?Kind=`: `login` (sessions), `api` (API tokens), or both without a Kind. */
  async revokeClients(domain: string, kind: string | undefined, ip: string | null): Promise<number> {
    const clientId = kind === undefined ? undefined : { login: CLIENT_LOGIN, api: CLIENT_API }[kind];
    if (kind !== undefined && !clientId) throw validationError('Kind must be login or api', { field: 'Kind' });
    const instance = await this.get(domain);
    const removed = await this.deps.tokenRepo.deleteForInstance(instance.id, clientId);
    await this.deps.eventlog.record(operator(instance.id, ip), 'instance.clients.revoke', instance.id, { kind: kind ?? 'all', tokens: removed });
    return removed;
  }

  /**
   * A short-lived token inside one tenant, acting as its owner (or the given user): how an operator or the CLI
   * works in a tenant without its password. Audited in the tenant's log.
   */
  async mintToken(domain: string, input: { userId?: string; expiresInSecs?: number; readOnly?: boolean }, ip: string | null) {
    const instance = await this.get(domain);
    const lifetime = Math.min((input.expiresInSecs ?? TOKEN_LIFETIME_MS.default / 1000) * 1000, TOKEN_LIFETIME_MS.max);
    const user = input.userId ? await this.deps.users.get(instance.id, input.userId) : await this.owner(instance.id);
    if (!user || !user.active) throw notFound('No such active user in this instance');
    const expiresAt = new Date(this.deps.clock().getTime() + lifetime).toISOString();
    const issued = await this.deps.tokens.issue({
      instanceId: instance.id, userId: user.id, name: 'admin API', clientId: CLIENT_API, scope: input.readOnly ? 'r' : 'rw', expiresAt,
    });
    await this.deps.eventlog.record(operator(instance.id, ip), 'instance.token', user.id, { tokenId: issued.token.id, expiresAt, readOnly: Boolean(input.readOnly) });
    return { token: issued.secret, userId: user.id, expiresAt };
  }

  async createCode(domain: string, kind: CodeKind, ip: string | null): Promise<string> {
    const instance = await this.get(domain);
    const code = randomBytes(24).toString('base64url');
    const now = this.deps.clock();
    await this.deps.codes.insert({
      codeHash: hashSecret(code), instanceId: instance.id, kind, createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + (kind === 'session_code' ? this.deps.sessionCodeLifetimeMs : CODE_LIFETIME_MS[kind])).toISOString(),
    });
    await this.deps.eventlog.record(operator(instance.id, ip), `instance.code.${kind}`, instance.id, {});
    return code;
  }

  /** Whether the session code is valid; a code checks true once, then never again. */
  async checkSessionCode(domain: string, code: string): Promise<boolean> {
    const instance = await this.get(domain);
    return this.deps.codes.consume(instance.id, 'session_code', hashSecret(code), this.now());
  }

  /** A notification from the operator, kept in the tenant's audit log for its admins. */
  async notify(domain: string, notification: { title: string; message?: string; category?: string; priority?: string }, ip: string | null) {
    const instance = await this.get(domain);
    const id = randomUUID();
    const at = this.now();
    await this.deps.eventlog.record(operator(instance.id, ip), 'instance.notification', id, { ...notification });
    return { id, createdAt: at, ...notification };
  }

  private checkContext(name: string): string {
    if (!this.deps.contexts.list().some((c) => c.name === name)) throw validationError(`context ${name} is not configured`, { field: 'context' });
    return name;
  }

  private async owner(instanceId: string) {
    const owners = await this.deps.users.list({ instanceId, page: 1, perPage: 1000 });
    return owners.find((u) => u.role === 'owner' && u.active);
  }

  private now() {
    return this.deps.clock().toISOString();
  }
}

function normalise(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

function checkLocale(locale: string): string {
  if (!LOCALE.test(locale)) throw validationError('locale must be a language tag such as en or fr-CA', { field: 'locale' });
  return locale;
}

function checkQuotas(quotas: Quotas): Quotas {
  for (const [name, value] of Object.entries(quotas)) {
    if (!['apps', 'memory', 'disk'].includes(name)) throw validationError(`quotas.${name} is not a quota (apps, memory, disk)`, { field: `quotas.${name}` });
    if (value !== undefined && value !== null && (!Number.isSafeInteger(value) || value < 0)) {
      throw validationError(`quotas.${name} must be a whole number, 0 or more`, { field: `quotas.${name}` });
    }
  }
  return Object.fromEntries(Object.entries(quotas).filter(([, v]) => v !== null && v !== undefined));
}
