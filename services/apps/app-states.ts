/**
 * Cloudron's app model: `installationState` says what the app's current task is doing (or `installed`/`error`
 * when none runs), `runState` what the user wants (running or stopped), `health` what the monitor last saw.
 */
export const INSTALLATION_STATES = [
  'pending_install',
  'pending_configure',
  'pending_update',
  'pending_uninstall',
  'pending_start',
  'pending_stop',
  'pending_restart',
  'pending_recreate',
  'pending_backup',
  'pending_restore',
  'installed',
  'error',
] as const;
export type InstallationState = (typeof INSTALLATION_STATES)[number];
export type RunState = 'running' | 'stopped';
export type Health = 'healthy' | 'unhealthy' | 'dead' | 'error';

/** What an app task does. Each maps to the pending state the app shows while it runs. */
export type AppOperation = 'install' | 'configure' | 'update' | 'uninstall' | 'start' | 'stop' | 'restart' | 'recreate' | 'backup' | 'restore';

export const PENDING_STATE: Record<AppOperation, InstallationState> = {
  install: 'pending_install',
  configure: 'pending_configure',
  update: 'pending_update',
  uninstall: 'pending_uninstall',
  start: 'pending_start',
  stop: 'pending_stop',
  restart: 'pending_restart',
  recreate: 'pending_recreate',
  backup: 'pending_backup',
  restore: 'pending_restore',
};

/**
 * The states an operation may begin from. The service moves the app with a conditional UPDATE over this list,
 * so two requests racing for one app cannot both win; the loser gets 409 naming the state it found.
 * Uninstall is the way out of everything: it stops whatever task runs and queues behind it.
 */
export const ALLOWED_FROM: Record<Exclude<AppOperation, 'install'>, InstallationState[]> = {
  configure: ['installed', 'error'],
  update: ['installed', 'error'],
  uninstall: INSTALLATION_STATES.filter((s) => s !== 'pending_uninstall'),
  start: ['installed'],
  stop: ['installed'],
  restart: ['installed'],
  recreate: ['installed', 'error'],
  backup: ['installed'],
  // Restoring is also the way back for an app whose last operation failed.
  restore: ['installed', 'error'],
};

export const isPending = (state: InstallationState) => state.startsWith('pending_');
