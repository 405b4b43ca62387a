import { LoginThrottle } from '../../services/auth/login-throttle';
import { EventlogService } from '../../services/eventlog/eventlog-service';
import { GroupService } from '../../services/groups/group-service';
import { InstanceService } from '../../services/instances/instance-service';
import { NoMailer, SmtpMailer } from '../../services/mail/mailer';
import { NotificationService } from '../../services/notifications/notification-service';
import { SettingsService } from '../../services/settings/settings-service';
import { TokenService } from '../../services/tokens/token-service';
import { ProfileService } from '../../services/users/profile-service';
import { UserService } from '../../services/users/user-service';
import type { Core } from './core';

export type Identity = Awaited<ReturnType<typeof composeIdentity>>;

/** Tenants' rows, the audit log, tokens, users, groups, settings and notifications: what every other module uses. */
export async function composeIdentity({ config, options, store, clock, logger }: Core) {
  const instances = new InstanceService({ instances: store.instances, clock });
  await instances.ensureDefault();
  const eventlog = new EventlogService({ events: store.eventlog, clock });
  const tokens = new TokenService({ tokens: store.tokens, clock, eventlog });
  const throttle = new LoginThrottle(clock, options.loginLimits);
  const mailer = config.smtpUrl ? new SmtpMailer(config.smtpUrl, config.mailFrom) : new NoMailer();
  return {
    instances,
    eventlog,
    tokens,
    throttle,
    mailer,
    profile: new ProfileService({ users: store.users, tokens, eventlog, throttle, clock }),
    users: new UserService({ users: store.users, groups: store.groups, tokens: store.tokens, transactor: store, eventlog, clock }),
    groups: new GroupService({ groups: store.groups, users: store.users, transactor: store, eventlog, clock }),
    settings: new SettingsService({ settings: store.settings, eventlog, clock }),
    notifications: new NotificationService({ notifications: store.notifications, users: store.users, mailer, clock, logger }),
  };
}
