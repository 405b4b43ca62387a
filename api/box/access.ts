import type { Operation } from 'openapi-backend';
import { forbidden } from '../../services/core/errors';
import type { Principal } from '../../services/auth/principal';
import { hasRole, type Role } from '../../services/auth/roles';

export interface Access {
  /** The smallest role that may run the operation, or `public` for routes that need no token. */
  role: Role | 'public';
  /** Mutating operations refuse read-only tokens unless this is set (logging out must always work). */
  readOnlyTokenAllowed?: boolean;
  /** A GET that changes things (exec over WebSocket): read-only tokens are refused as for other mutations. */
  mutating?: boolean;
}

/**
 * What every box API operation needs, by operationId. Start-up fails when the document and this table
 * disagree, and a test walks every operation: no token → 401, too small a role → 403.
 */
export const BOX_ACCESS: Record<string, Access> = {
  getStatus: { role: 'public' },
  setup: { role: 'public' },
  activate: { role: 'public' },
  restore: { role: 'public' },
  login: { role: 'public' },
  logout: { role: 'user', readOnlyTokenAllowed: true },
  getConfig: { role: 'user' },
  getProfile: { role: 'user' },
  updateProfile: { role: 'user' },
  changeProfilePassword: { role: 'user' },
  listTokens: { role: 'user' },
  createToken: { role: 'user' },
  getToken: { role: 'user' },
  deleteToken: { role: 'user' },
  listTasks: { role: 'admin' },
  getTask: { role: 'admin' },
  getTaskLogs: { role: 'admin' },
  getTaskLogStream: { role: 'admin' },
  stopTask: { role: 'admin' },
  listUsers: { role: 'usermanager' },
  addUser: { role: 'usermanager' },
  getUser: { role: 'usermanager' },
  updateUser: { role: 'usermanager' },
  removeUser: { role: 'usermanager' },
  setUserPassword: { role: 'usermanager' },
  setUserGroups: { role: 'usermanager' },
  createInvite: { role: 'usermanager' },
  sendInvite: { role: 'usermanager' },
  setupAccount: { role: 'public' },
  requestPasswordReset: { role: 'public' },
  resetPassword: { role: 'public' },
  listGroups: { role: 'usermanager' },
  getGroup: { role: 'usermanager' },
  addGroup: { role: 'admin' },
  renameGroup: { role: 'admin' },
  removeGroup: { role: 'admin' },
  setGroupMembers: { role: 'admin' },
  listEvents: { role: 'admin' },
  getEvent: { role: 'admin' },
  listNotifications: { role: 'admin' },
  getNotification: { role: 'admin' },
  updateNotification: { role: 'admin' },
  getCloudronName: { role: 'admin' },
  setCloudronName: { role: 'admin' },
  getTimeZone: { role: 'admin' },
  setTimeZone: { role: 'admin' },
  getCloudronAvatar: { role: 'admin' },
  setCloudronAvatar: { role: 'admin' },
  installApp: { role: 'admin' },
  listApps: { role: 'user' },
  getApp: { role: 'user' },
  restartApp: { role: 'admin' },
  startApp: { role: 'admin' },
  stopApp: { role: 'admin' },
  uninstallApp: { role: 'admin' },
  configureApp: { role: 'admin' },
  updateApp: { role: 'admin' },
  getAppIcon: { role: 'user' },
  setAppIcon: { role: 'admin' },
  getAppLogs: { role: 'admin' },
  getAppLogStream: { role: 'admin' },
  // A GET, but it runs commands: read-only tokens may not.
  execApp: { role: 'admin', mutating: true },
  listCatalogueApps: { role: 'admin' },
  getCatalogueApp: { role: 'admin' },
  getCatalogueAppVersion: { role: 'admin' },
  addCatalogueApp: { role: 'admin' },
  removeCatalogueApp: { role: 'admin' },
  listDomains: { role: 'admin' },
  addDomain: { role: 'admin' },
  getDomain: { role: 'admin' },
  updateDomain: { role: 'admin' },
  removeDomain: { role: 'admin' },
  checkDomainDns: { role: 'admin' },
  // Backups are admin business, as in Cloudron: they hold every app's data.
  getBackupConfig: { role: 'admin' },
  setBackupConfig: { role: 'admin' },
  listBackups: { role: 'admin' },
  getBackup: { role: 'admin' },
  updateBackup: { role: 'admin' },
  createBackup: { role: 'admin' },
  cleanupBackups: { role: 'admin' },
  verifyBackup: { role: 'admin' },
  drillBackup: { role: 'admin' },
  backupApp: { role: 'admin' },
  listAppBackups: { role: 'admin' },
  restoreApp: { role: 'admin' },
  cloneApp: { role: 'admin' },
};

export function authorize(operation: Operation, principal: Principal): void {
  const access = BOX_ACCESS[operation.operationId as string];
  if (!access || access.role === 'public') return;
  if (!hasRole(principal.role, access.role)) throw forbidden(`This needs the ${access.role} role`);
  const mutating = operation.method.toLowerCase() !== 'get' || access.mutating === true;
  if (mutating && principal.readOnly && !access.readOnlyTokenAllowed) {
    throw forbidden('This token is read-only');
  }
}

/** Public operations (and only they) must have `security: []` in the document. */
export function checkAccessTable(operations: Operation[]): void {
  const problems: string[] = [];
  const ids = operations.map((op) => op.operationId as string);
  for (const op of operations) {
    const access = BOX_ACCESS[op.operationId as string];
    if (!access) problems.push(`${op.operationId} has no access rule`);
    else if ((access.role === 'public') !== ((op.security ?? []).length === 0)) {
      problems.push(`${op.operationId}: access rule and document security disagree`);
    }
  }
  for (const id of Object.keys(BOX_ACCESS)) if (!ids.includes(id)) problems.push(`access rule for unknown operation ${id}`);
  if (problems.length) throw new Error(`box API access table: ${problems.join('; ')}`);
}
