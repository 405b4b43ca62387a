import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activate, bearer, startTestApp, type TestApp } from '../helpers/app';

jest.setTimeout(60_000);

const DAY = 86_400_000;

/** Real certificates made with openssl: self-signed, issued by a CA of our own, for the wrong name, short-lived. */
function certificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-usercert-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  const selfSigned = (name: string, cn: string, days: string) => {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', days, '-subj', `/CN=${cn}`,
      '-addext', `subjectAltName=DNS:${cn},DNS:*.${cn}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
    return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
  };
  const good = selfSigned('good', 'cert.test', '30');
  const other = selfSigned('other', 'other.test', '30');
  const shortLived = selfSigned('short', 'cert.test', '1');
  // A CA of our own and a certificate it issued; and an unrelated CA.
  const ca = selfSigned('ca', 'Berth Test CA', '30');
  const unrelated = selfSigned('unrelated', 'Unrelated CA', '30');
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=cert.test', '-keyout', 'leaf.key', '-out', 'leaf.csr');
  fs.writeFileSync(path.join(dir, 'leaf.ext'), 'subjectAltName=DNS:cert.test,DNS:*.cert.test\n');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-extfile', 'leaf.ext', '-out', 'leaf.crt');
  const leaf = { cert: read('leaf.crt'), key: read('leaf.key') };
  fs.rmSync(dir, { recursive: true, force: true });
  return { good, other, shortLived, ca, unrelated, leaf };
}

describe('user-supplied certificates', () => {
  let app: TestApp;
  let token: string;
  const certs = certificates();
  let now = Date.now();
  const auth = () => bearer(token);
  const put = (fallbackCertificate: unknown) =>
    app.api.put('/api/v1/domains/cert.test').set(auth()).send({ provider: 'noop', config: {}, fallbackCertificate });
  const served = async () => (await app.api.get('/api/v1/domains/cert.test').set(auth()).expect(200)).body.fallbackCertificate.cert as string;

  beforeAll(async () => {
    app = await startTestApp({ clock: () => new Date(now) });
    ({ token } = await activate(app));
    await app.api.post('/api/v1/domains').set(auth()).send({ domain: 'cert.test', provider: 'noop', config: {}, fallbackCertificate: certs.good }).expect(201);
  });
  afterAll(() => app.close());

  it('accepts a certificate with its key, and one with its issuer after it; never shows the key', async () => {
    expect(await served()).toBe(certs.good.cert);
    await put({ cert: certs.leaf.cert + certs.ca.cert, key: certs.leaf.key }).expect(204);
    expect(await served()).toBe(certs.leaf.cert + certs.ca.cert);
    const read = await app.api.get('/api/v1/domains/cert.test').set(auth()).expect(200);
    expect(read.body.fallbackCertificate.key).toBeUndefined();
  });

  it('refuses, with a clear 400 and nothing changed: a mismatched key, another name, a broken chain, not PEM', async () => {
    const before = await served();
    const cases: Array<[unknown, RegExp]> = [
      [{ cert: certs.good.cert, key: certs.other.key }, /fallbackCertificate\.key is not the key of fallbackCertificate\.cert/],
      [certs.other, /fallbackCertificate\.cert is not valid for cert\.test/],
      [{ cert: certs.leaf.cert + certs.unrelated.cert, key: certs.leaf.key }, /certificate 2 of the chain \(CN=Unrelated CA\) did not issue certificate 1/],
      [{ cert: certs.ca.cert + certs.leaf.cert, key: certs.leaf.key }, /is not the key of|not valid for/],
      [{ cert: 'not a certificate', key: certs.good.key }, /fallbackCertificate\.cert is not a PEM certificate/],
      [{ cert: certs.good.cert, key: 'not a key' }, /fallbackCertificate\.key is not a PEM private key/],
    ];
    for (const [body, message] of cases) {
      const res = await put(body).expect(400);
      expect([res.body.message, res.body.code]).toEqual([expect.stringMatching(message), 'VALIDATION_ERROR']);
    }
    expect(await served()).toBe(before);
  });

  it('refuses an expired certificate, and one not valid yet', async () => {
    const before = await served();
    now = Date.now() + 3 * DAY; // the one-day certificate has expired by then
    const expired = await put(certs.shortLived).expect(400);
    expect(expired.body.message).toMatch(/^fallbackCertificate\.cert expired on \d{4}-\d\d-\d\dT/);
    now = Date.now() - 3 * DAY; // before any of them was made
    const early = await put(certs.good).expect(400);
    expect(early.body.message).toMatch(/^fallbackCertificate\.cert is not valid before \d{4}-/);
    now = Date.now();
    expect(await served()).toBe(before);
    await put(certs.shortLived).expect(204);
  });
});
