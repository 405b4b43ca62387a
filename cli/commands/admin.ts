import type { Command } from 'commander';
import type { Context } from '../context';
import { registerFsckCommand } from './admin-fsck';
import { registerInstanceTaskCommands } from './admin-instance-tasks';
import { registerInstanceCommands } from './admin-instances';

const INSTANCES_HELP = `
Every command talks to the admin API (docs/admin.md) with the admin passphrase:
  --admin-url or BERTH_ADMIN_URL         where it listens (default http://127.0.0.1:6060)
  BERTH_ADMIN_PASSPHRASE, or --passphrase-stdin, or asked at a terminal
Examples:
  berth admin instances create acme.example --email owner@acme.example --quota-apps 5
  berth admin instances update acme.example --blocked PAYMENT_FAILED
  BERTH_URL=https://acme.example BERTH_TOKEN=$(berth admin instances token acme.example) berth whoami
  berth admin instances export acme.example --output acme.tar.gz
  berth admin instances delete acme.example --yes --wait`;

/**
 * The operator's client commands under `admin` (the admin API's instances and fsck); `admin passphrase`,
 * which runs on the server's machine, is registered with the server commands.
 */
export function registerAdminCommands(admin: Command, ctx: Context): void {
  const instances = admin.command('instances').description('create, list, change, block, export and delete instances (tenants) through the admin API').addHelpText('after', INSTANCES_HELP);
  registerInstanceCommands(instances, ctx);
  registerInstanceTaskCommands(instances, ctx);
  registerFsckCommand(admin, ctx);
}
