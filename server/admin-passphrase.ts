import type { Config } from '../services/core/config';
import { AdminPassphrase } from '../services/tenants/admin-passphrase';

/**
 * `berth admin passphrase`: stores the scrypt hash of a new admin passphrase in the data dir. A running
 * `berth serve` picks the new one up on the next admin request (rotation needs no restart); opening the admin
 * listener for the first time needs a restart.
 */
export async function setAdminPassphrase(config: Config, passphrase: string): Promise<string> {
  const store = AdminPassphrase.inDataDir(config.dataDir);
  await store.set(passphrase.replace(/\r?\n$/, ''));
  return store.file;
}
