import { validationError } from '../core/errors';

/**
 * Username, email and password rules, shared by activation, user management and invitations.
 * Usernames: 2–32 characters, lowercase letters, digits, `.`, `_`, `-`, starting with a letter or digit,
 * and not one of the reserved names that mail and system accounts use.
 */
export const RESERVED_USERNAMES = new Set([
  'admin', 'root', 'postmaster', 'no-reply', 'noreply', 'mailer-daemon', 'abuse', 'hostmaster', 'webmaster',
  'support', 'administrator', 'system', 'berth', 'cloudron', 'www', 'www-data', 'nobody', 'daemon', 'operator',
]);

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,31}$/;
// Deliberately plain: one @, no spaces, a dot in the domain. Deliverability is proven by mail, not by regex.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkUsername(raw: string, field = 'username'): string {
  const username = raw.trim();
  if (username !== username.toLowerCase()) throw validationError(`${field} must be lowercase`, { field });
  if (!USERNAME.test(username)) {
    throw validationError(
      `${field} must be 2 to 32 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit`,
      { field },
    );
  }
  if (RESERVED_USERNAMES.has(username)) throw validationError(`${field} "${username}" is reserved`, { field });
  return username;
}

export function checkEmail(raw: string, field = 'email'): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw validationError(`${field} is not a valid email address`, { field });
  return email;
}

export function checkPassword(password: string, field = 'password'): string {
  if (password.length < 8) throw validationError(`${field} must be at least 8 characters`, { field });
  if (password.length > 256) throw validationError(`${field} must be at most 256 characters`, { field });
  return password;
}

export function checkDisplayName(raw: string, field = 'displayName'): string {
  const name = raw.trim();
  // Control characters break logs and mail headers.
  if (/\p{Cc}/u.test(name)) throw validationError(`${field} must not contain control characters`, { field });
  return name;
}
