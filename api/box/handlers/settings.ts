import type { BoxHandlers } from '../handler-types';
import { uploadedFile } from '../../openapi/surface';
import { validationError } from '../../../services/core/errors';
import { actorOf, type BoxServices, ok, principalOf } from '../services';

export function settingsHandlers(s: BoxServices) {
  return {
    getCloudronName: async (call) => ok({ name: await s.settings.name(principalOf(call).instanceId) }),
    setCloudronName: async (call) => {
      await s.settings.setName(actorOf(call), call.body.name);
      return ok({});
    },
    getTimeZone: async (call) => ok({ timeZone: await s.settings.timeZone(principalOf(call).instanceId) }),
    setTimeZone: async (call) => {
      await s.settings.setTimeZone(actorOf(call), call.body.timeZone);
      return ok({});
    },
    getCloudronAvatar: async (call) => {
      const avatar = await s.settings.avatar(principalOf(call).instanceId);
      call.res.status(200).type(avatar.contentType).send(avatar.data);
      return undefined;
    },
    setCloudronAvatar: async (call) => {
      const file = uploadedFile(call, 'avatar');
      if (!file) throw validationError('avatar must be a file', { field: 'avatar' });
      await s.settings.setAvatar(actorOf(call), file);
      return ok({});
    },
  } satisfies Partial<BoxHandlers>;
}
