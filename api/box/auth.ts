import type { Request, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { BerthError, badRequest, toBerthError, unauthorized } from '../../services/core/errors';
import type { Principal } from '../../services/auth/principal';
import type { TokenService } from '../../services/tokens/token-service';

type Authenticate = (req: Request, res: Response) => Promise<Principal>;

/**
 * Bearer tokens through passport-http-bearer: `Authorization: Bearer …` or `?access_token=…`, never both.
 * The passport instance belongs to this surface; nothing is registered globally.
 */
export function createAuthenticator(tokens: TokenService): Authenticate {
  const passport = new Passport();
  const verifyErrors = new WeakMap<Request, BerthError>();
  passport.use(
    new BearerStrategy({ passReqToCallback: true }, (req: Request, secret: string, done: (err: unknown, user?: Principal | false) => void) => {
      tokens.authenticate(secret).then(
        (principal) => done(null, principal),
        (err: unknown) => {
          const error = toBerthError(err);
          if (error.status !== 401) return done(err);
          verifyErrors.set(req, error);
          done(null, false);
        },
      );
    }),
  );

  return (req, res) =>
    new Promise<Principal>((resolve, reject) => {
      const callback = (err: unknown, principal: Principal | false, _info: unknown, status?: number) => {
        if (err) return reject(err);
        if (principal) return resolve(principal);
        if (status === 400) {
          return reject(badRequest('Malformed credentials: send one token, as "Authorization: Bearer <token>" or as access_token, not both'));
        }
        reject(verifyErrors.get(req) ?? unauthorized('Authentication required'));
      };
      passport.authenticate('bearer', { session: false }, callback)(req, res, reject);
    });
}
