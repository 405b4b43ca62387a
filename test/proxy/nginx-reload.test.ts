import fs from 'node:fs';
import path from 'node:path';
import { NginxCommand } from '../../services/proxy/nginx-publisher';
import { acceptingWorkers, masterPid } from '../../services/proxy/nginx-workers';
import { NGINX_BIN, proxyGet, startNginx, type TestNginx } from '../helpers/nginx';

jest.setTimeout(60_000);

/** A reload returns once the new configuration answers every new connection, not when the signal is sent. */
describe('nginx reload', () => {
  let nginx: TestNginx;
  beforeAll(async () => {
    nginx = await startNginx();
  });
  afterAll(() => nginx?.stop());

  it('waits until the old workers have stopped taking connections', async () => {
    const command = new NginxCommand({ binary: NGINX_BIN, confFile: nginx.confFile });
    const master = masterPid(nginx.confFile)!;
    expect(master).toEqual(Number(fs.readFileSync(path.join(nginx.dir, 'nginx.pid'), 'utf8')));
    for (let round = 1; round <= 5; round++) {
      const before = acceptingWorkers(master);
      expect(before.size).toBe(1);
      const site = `server { listen ${nginx.httpPort}; server_name round.test; return 200 "round ${round}"; }\n`;
      fs.writeFileSync(path.join(nginx.sitesDir, 'round.conf'), site);
      await command.reload();
      const after = acceptingWorkers(master);
      expect([...after].filter((pid) => before.has(pid))).toEqual([]);
      // No waiting here: the very first request after the reload meets the new site.
      const res = await proxyGet(nginx, 'round.test', '/', { tls: false });
      expect(res.body).toBe(`round ${round}`);
    }
  });

  it('knows no master when the pid file is missing', () => {
    expect(masterPid('/no/such/nginx.conf')).toBeUndefined();
  });
});
