import { BerthError } from '../core/errors';

/** Which cron field failed, so a client can point at it (index is 0-based among the fields as written). */
export interface CronFieldRef {
  index: number;
  name: string;
}

/**
 * The one error every schedule problem becomes. Ofelia refuses a bad schedule with a bare Go error and users
 * then wonder why the scheduler is empty; naming the request field, the character offset and the cron field
 * lets the API, the INI loader and the label loader all say exactly what to fix.
 */
export function invalidSchedule(
  field: string,
  text: string,
  position: number,
  reason: string,
  cronField?: CronFieldRef,
): BerthError {
  const where = cronField ? `${cronField.name} field (field ${cronField.index + 1}), character ${position}` : `character ${position}`;
  return new BerthError('INVALID_SCHEDULE', 400, `Invalid ${field} "${text}": ${reason} at ${where}`, {
    field,
    position,
    ...(cronField ? { cronField: cronField.name, cronFieldIndex: cronField.index } : {}),
  });
}
