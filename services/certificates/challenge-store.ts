import fs from 'node:fs';
import path from 'node:path';

/** Where HTTP-01 key authorisations wait for the CA to fetch them. */
export interface ChallengeStore {
  put(token: string, keyAuthorization: string): void;
  remove(token: string): void;
}

/**
 * Files under `<root>/.well-known/acme-challenge/`, which every app site's port-80 server serves with nginx's
 * `root` (services/proxy/nginx-site.ts). Files rather than a route into Berth: the worker that runs the ACME
 * flow and the process nginx would proxy to may differ, and nginx answers even while Berth's API restarts.
 */
export class WebrootChallenges implements ChallengeStore {
  constructor(readonly root: string) {}

  put(token: string, keyAuthorization: string): void {
    const file = this.file(token);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, keyAuthorization, { mode: 0o644 });
  }

  remove(token: string): void {
    fs.rmSync(this.file(token), { force: true });
  }

  private file(token: string) {
    // ACME tokens are base64url; anything else must not become a path.
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('invalid ACME challenge token');
    return path.join(this.root, '.well-known', 'acme-challenge', token);
  }
}
