import { askHidden, interactive, readStdin } from '../ui/prompt';
import type { Io } from '../ui/io';
import { adminClient, DEFAULT_ADMIN_URL, normaliseAdminUrl, type AdminClient } from './admin-api';
import { UsageError } from './errors';

/** The admin API a command talks to: its address and a client carrying the passphrase. */
export interface AdminSession {
  url: string;
  api: AdminClient;
}

export interface AdminSessionOptions {
  adminUrl?: string;
  passphraseStdin?: boolean;
}

/**
 * Resolves the admin API's address (`--admin-url`, `BERTH_ADMIN_URL`, else 127.0.0.1:6060) and the passphrase:
 * stdin with `--passphrase-stdin`, else `BERTH_ADMIN_PASSPHRASE`, else asked without echo at a terminal.
 * Nothing is saved: one passphrase opens every tenant, so it stays out of the config file.
 */
export async function openAdminSession(io: Io, options: AdminSessionOptions = {}): Promise<AdminSession> {
  const url = normaliseAdminUrl(options.adminUrl ?? (io.env.BERTH_ADMIN_URL || DEFAULT_ADMIN_URL));
  let passphrase: string;
  if (options.passphraseStdin) passphrase = await readStdin(io);
  else if (io.env.BERTH_ADMIN_PASSPHRASE) passphrase = io.env.BERTH_ADMIN_PASSPHRASE;
  else if (interactive(io)) passphrase = await askHidden(io, `Admin passphrase for ${url}: `);
  else throw new UsageError('no admin passphrase: set BERTH_ADMIN_PASSPHRASE or give it on stdin with --passphrase-stdin');
  if (!passphrase) throw new UsageError('the admin passphrase is empty');
  return { url, api: adminClient(url, passphrase) };
}
