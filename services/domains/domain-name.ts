import { validationError } from '../core/errors';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** `Example.COM.` → `example.com`; 400 naming `field` for anything that is not a domain name (IP addresses included). */
export function checkDomainName(raw: unknown, field: string): string {
  const domain = String(raw ?? '').trim().toLowerCase().replace(/\.$/, '');
  const labels = domain.split('.');
  if (domain.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels[labels.length - 1])) {
    throw validationError(`${field} must be a domain name such as example.com, got "${String(raw ?? '').slice(0, 64)}"`, { field });
  }
  return domain;
}

/** The domain itself or one of its parents. */
export const isWithin = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);
