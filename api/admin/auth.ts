import type { Request } from 'express';
import { BerthError, unauthorized } from '../../services/core/errors';
import type { Principal } from '../../services/auth/principal';
import type { AdminPassphrase } from '../../services/tenants/admin-passphrase';
import type { LoginThrottle } from '../../services/auth/login-throttle';

/** The operator, as the surface sees them: no tenant, no user. */
const OPERATOR: Principal = { instanceId: '', userId: 'admin', role: 'owner', tokenId: '', readOnly: false };

/**
 * HTTP Basic with the admin passphrase as the password (the user name is ignored, as cozy-stack's). No
 * credentials: 401; a wrong passphrase: 403. There is no unauthenticated mode.
 */
export function createAdminAuthenticator(passphrase: AdminPassphrase, throttle: LoginThrottle) {
  return async (req: Request): Promise<Principal> => {
    const header = req.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match) throw unauthorized('The admin API needs HTTP Basic authentication with the admin passphrase');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const given = decoded.includes(':') ? decoded.slice(decoded.indexOf(':') + 1) : decoded;
    // Wrong guesses are limited like logins, per address and for the one admin account.
    const address = req.ip ?? req.socket.remoteAddress ?? '';
    throttle.check(['admin'], address);
    if (!(await passphrase.verify(given))) {
      throttle.recordFailure(['admin'], address);
      throw new BerthError('FORBIDDEN', 403, 'Wrong admin passphrase');
    }
    return OPERATOR;
  };
}
