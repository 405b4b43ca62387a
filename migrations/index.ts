import type { Knex } from 'knex';
import * as foundation from './20261124_0001_foundation';
import * as tasks from './20261124_0002_tasks';
import * as directory from './20261124_0003_directory';
import * as userTokens from './20261124_0004_user_tokens';
import * as usersPageIndex from './20261124_0005_users_page_index';
import * as taskExclusiveKey from './20261124_0006_task_exclusive_key';
import * as apps from './20261124_0007_apps';
import * as tenants from './20261124_0008_tenants';
import * as instancesPageIndex from './20261124_0009_instances_page_index';
import * as domains from './20261130_0010_domains';
import * as backups from './20261130_0011_backups';
import * as certificates from './20261201_0012_certificates';
import * as notifications from './20261201_0015_notifications';
import * as scheduler from './20261207_0016_scheduler';

/** Every migration, by name. Names sort in the order they run; add new ones here. */
export const migrations: Record<string, Knex.Migration> = {
  '20261124_0001_foundation': foundation,
  '20261124_0002_tasks': tasks,
  '20261124_0003_directory': directory,
  '20261124_0004_user_tokens': userTokens,
  '20261124_0005_users_page_index': usersPageIndex,
  '20261124_0006_task_exclusive_key': taskExclusiveKey,
  '20261124_0007_apps': apps,
  '20261124_0008_tenants': tenants,
  '20261124_0009_instances_page_index': instancesPageIndex,
  '20261130_0010_domains': domains,
  '20261130_0011_backups': backups,
  '20261201_0012_certificates': certificates,
  '20261201_0015_notifications': notifications,
  '20261207_0016_scheduler': scheduler,
};
