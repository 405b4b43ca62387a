import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { notFound } from '../../../services/core/errors';
import type { Quotas } from '../../../services/instances/instance-repo';
import type { AdminBody, AdminHandlers } from '../handler-types';
import { type AdminServices, instanceResource, jsonApi } from '../services';

const ok = (body: unknown) => ({ status: 200, body });

/** A null quota is no quota, as an absent one (the document allows both). */
function quotasOf(quotas: AdminBody<'createInstance'>['quotas']): Quotas | undefined {
  if (!quotas) return quotas;
  return Object.fromEntries(Object.entries(quotas).filter(([, value]) => value !== null));
}

export function instanceHandlers(s: AdminServices) {
  return {
    listInstances: async (call) => {
      const limit = call.query['page[limit]'] ?? 100;
      const skip = call.query['page[skip]'] ?? 0;
      const { instances, count } = await s.tenants.list({ limit, skip });
      const next = skip + instances.length < count ? `/instances?page[limit]=${limit}&page[skip]=${skip + limit}` : undefined;
      return jsonApi(200, { data: instances.map(instanceResource), meta: { count }, links: next ? { next } : {} });
    },
    countInstances: async () => ok({ count: await s.tenants.count() }),
    createInstance: async (call) => {
      const { instance, ownerId, inviteLink } = await s.tenants.create({ ...call.body, quotas: quotasOf(call.body.quotas) }, call.ip || null);
      return jsonApi(201, { data: instanceResource(instance), meta: { owner_id: ownerId, invite_link: inviteLink } });
    },
    getInstance: async (call) => jsonApi(200, { data: instanceResource(await s.tenants.get(call.params.domain)) }),
    updateInstance: async (call) => {
      const { blocking_reason: blockingReason, quotas, ...rest } = call.body;
      const patch = { ...rest, ...(quotas !== undefined ? { quotas: quotasOf(quotas) } : {}), ...(blockingReason !== undefined ? { blockingReason } : {}) };
      const instance = await s.tenants.patch(call.params.domain, patch, call.ip || null);
      return jsonApi(200, { data: instanceResource(instance) });
    },
    deleteInstance: async (call) => ({ status: 202, body: { task_id: await s.tenants.remove(call.params.domain, call.ip || null) } }),
    getLastActivity: async (call) => ok({ 'last-activity': await s.tenants.lastActivity(call.params.domain) }),
    instancesWithAppVersion: async (call) => ok({ instances: await s.tenants.withAppVersion(call.params.slug, call.params.version) }),
    listContexts: async () => ok(s.contexts.list().map((c) => ({ context: c.name, config: c.config }))),
    getContext: async (call) => {
      const context = s.contexts.get(call.params.name);
      return ok({ context: context.name, config: context.config });
    },

    createMagicLinkCode: async (call) => ok({ code: await s.tenants.createCode(call.params.domain, 'magic_link', call.ip || null) }),
    createSessionCode: async (call) => ok({ session_code: await s.tenants.createCode(call.params.domain, 'session_code', call.ip || null) }),
    checkSessionCode: async (call) => ok({ valid: await s.tenants.checkSessionCode(call.params.domain, call.body.session_code) }),
    createEmailVerifiedCode: async (call) =>
      ok({ email_verified_code: await s.tenants.createCode(call.params.domain, 'email_verified_code', call.ip || null) }),
    deleteSessions: async (call) => {
      await s.tenants.revokeSessions(call.params.domain, call.ip || null);
      return { status: 204 };
    },
    deleteClients: async (call) => {
      const kind = call.query.Kind;
      return ok({ count: await s.tenants.revokeClients(call.params.domain, kind, call.ip || null) });
    },
    createInstanceToken: async (call) => {
      const body = call.body ?? {};
      const minted = await s.tenants.mintToken(call.params.domain, { userId: body.user_id, expiresInSecs: body.expires_in, readOnly: body.read_only }, call.ip || null);
      return { status: 201, body: { token: minted.token, user_id: minted.userId, expires_at: minted.expiresAt } };
    },
    notifyInstance: async (call) => {
      const sent = await s.tenants.notify(call.params.domain, call.body.notification, call.ip || null);
      const { createdAt, ...rest } = sent;
      return { status: 201, body: { ...rest, created_at: createdAt } };
    },

    exportInstance: async (call) => {
      const { exportId, taskId } = await s.tenants.startExport(call.params.domain, call.ip || null);
      return { status: 202, body: { export_id: exportId, task_id: taskId } };
    },
    getExport: async (call) => {
      const found = await s.tenants.getExport(call.params.domain, call.params.exportId);
      return ok({
        id: found.id,
        state: found.state,
        task_id: found.taskId,
        size: found.size,
        parts_cursors: found.parts.filter((p) => p.cursor !== null).map((p) => p.cursor),
        created_at: found.createdAt,
      });
    },
    getExportData: async (call) => {
      const { export: found, part } = await s.tenants.exportPart(call.params.domain, call.params.exportId, call.query.cursor);
      const file = path.join(s.exporter.dir(found.instanceId, found.id), part.file);
      if (!fs.existsSync(file)) throw notFound(`The file of this part is missing (${part.file}); GET /instances/{domain}/fsck reports it`);
      const gz = part.file.endsWith('.gz');
      call.res.status(200).set({
        'Content-Type': gz ? 'application/gzip' : 'application/x-tar',
        'Content-Length': String(part.size),
        'Content-Disposition': `attachment; filename="${call.params.domain} - ${part.file}"`,
      });
      await pipeline(fs.createReadStream(file), call.res);
      return undefined;
    },

    fsckInstance: async (call) => {
      const instance = await s.tenants.get(call.params.domain);
      const findings = s.fsck.check(instance);
      // The first finding is awaited before the headers go, so an engine failure is still a JSON error.
      const first = await findings.next();
      call.res.status(200).type('application/x-ndjson');
      for (let step = first; !step.done; step = await findings.next()) call.res.write(JSON.stringify(step.value) + '\n');
      call.res.end();
      return undefined;
    },
    fixInstance: async (call) => {
      const instance = await s.tenants.get(call.params.domain);
      const dryRun = call.body?.dry_run ?? true;
      return ok({ domain: instance.domain, dry_run: dryRun, fixed: await s.fsck.fix(instance, call.params.fixer, dryRun) });
    },
  } satisfies Partial<AdminHandlers>;
}
