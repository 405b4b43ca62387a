import type { Clock } from '../core/clock';
import { notFound, validationError } from '../core/errors';
import type { SettingsRepo } from './settings-repo';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';

/**
 * The settings this module owns: it alone writes them; others (CloudronService's status, the backup schedule,
 * tenant export) read them by these keys.
 */
export const NAME_SETTING = 'cloudron_name';
export const DEFAULT_BOX_NAME = 'Berth';
export const TIME_ZONE_SETTING = 'time_zone';
export const DEFAULT_TIME_ZONE = 'UTC';
const AVATAR_SETTING = 'cloudron_avatar';
const AVATAR_MAX_BYTES = 512 * 1024;
const TIME_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);

export interface Avatar {
  contentType: 'image/png' | 'image/jpeg';
  data: Buffer;
}

/** The box's own settings from seed 001: its name, time zone and avatar. */
export class SettingsService {
  constructor(private readonly deps: { settings: SettingsRepo; eventlog: EventlogService; clock: Clock }) {}

  async name(instanceId: string): Promise<string> {
    return (await this.deps.settings.get<string>(instanceId, NAME_SETTING)) ?? DEFAULT_BOX_NAME;
  }

  async setName(actor: Actor, raw: string): Promise<void> {
    const name = raw.trim();
    if (!name || name.length > 64 || /\p{Cc}/u.test(name)) {
      throw validationError('name must be 1 to 64 characters without control characters', { field: 'name' });
    }
    const before = await this.name(actor.instanceId);
    await this.deps.settings.set(actor.instanceId, NAME_SETTING, name);
    await this.deps.eventlog.record(actor, 'settings.cloudron_name', null, { changes: { name: { before, after: name } } });
  }

  async timeZone(instanceId: string): Promise<string> {
    return (await this.deps.settings.get<string>(instanceId, TIME_ZONE_SETTING)) ?? DEFAULT_TIME_ZONE;
  }

  /** IANA names only (`Europe/Berlin`, `UTC`). */
  async setTimeZone(actor: Actor, timeZone: string): Promise<void> {
    if (!TIME_ZONES.has(timeZone)) throw validationError(`timeZone "${timeZone}" is not an IANA time zone name`, { field: 'timeZone' });
    const before = await this.timeZone(actor.instanceId);
    await this.deps.settings.set(actor.instanceId, TIME_ZONE_SETTING, timeZone);
    await this.deps.eventlog.record(actor, 'settings.time_zone', null, { changes: { timeZone: { before, after: timeZone } } });
  }

  async avatar(instanceId: string): Promise<Avatar> {
    const stored = await this.deps.settings.get<{ contentType: Avatar['contentType']; data: string }>(instanceId, AVATAR_SETTING);
    if (!stored) throw notFound('No avatar is set');
    return { contentType: stored.contentType, data: Buffer.from(stored.data, 'base64') };
  }

  /** PNG or JPEG, told by its bytes (not its name or declared type), at most 512 KiB. */
  async setAvatar(actor: Actor, data: Buffer): Promise<void> {
    if (data.length > AVATAR_MAX_BYTES) throw validationError(`avatar must be at most ${AVATAR_MAX_BYTES / 1024} KiB`, { field: 'avatar' });
    const contentType = imageType(data);
    if (!contentType) throw validationError('avatar must be a PNG or JPEG image', { field: 'avatar' });
    await this.deps.settings.set(actor.instanceId, AVATAR_SETTING, { contentType, data: data.toString('base64') });
    await this.deps.eventlog.record(actor, 'settings.cloudron_avatar', null, { contentType, bytes: data.length });
  }
}

function imageType(data: Buffer): Avatar['contentType'] | undefined {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  return undefined;
}
