import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../services/core/logger';
import { JobWebhook, type FailedExecution } from '../../services/scheduler/job-webhook';

/**
 * A tenant's failure webhook against a real HTTP receiver: signed with HMAC-SHA256 of the body, and refused for a
 * loopback target unless the operator allows private targets (checked at connect time, in the lookup).
 */
describe('the failure webhook', () => {
  let server: http.Server;
  let url: string;
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const event: FailedExecution = { instanceId: 'i1', job: 'backup', executionId: 'e-1', status: 'failed', exitCode: 3, error: 'The command exited with code 3', at: new Date('2026-12-07T12:00:00Z') };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // A name, not an address: the check is on what it resolves to.
    url = `http://localhost:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const webhook = (globals: Record<string, string>, allowPrivate: boolean) =>
    new JobWebhook({ globals: async () => globals, allowPrivate, logger: createLogger('silent') });

  it('posts the failure, signed with the tenant secret', async () => {
    const secret = 'a-long-signing-secret';
    expect(await webhook({ webhookURL: url, webhookSecret: secret }, true).failed(event)).toBe(204);
    const [delivery] = received.splice(0);
    expect(JSON.parse(delivery.body)).toEqual({ event: 'job.failed', job: 'backup', executionId: 'e-1', status: 'failed', exitCode: 3, error: 'The command exited with code 3', timestamp: '2026-12-07T12:00:00.000Z' });
    expect(delivery.headers['x-berth-signature']).toBe(`sha256=${createHmac('sha256', secret).update(delivery.body).digest('hex')}`);
    expect(delivery.headers['x-berth-event']).toBe('job.failed');
  });

  it('refuses a target that resolves to loopback unless the operator allows private targets', async () => {
    expect(await webhook({ webhookURL: url }, false).failed(event)).toBeUndefined();
    expect(await webhook({ webhookURL: url.replace('localhost', '127.0.0.1') }, false).failed(event)).toBeUndefined();
    expect(received).toEqual([]);
  });

  it('sends nothing when the tenant has no webhook', async () => {
    expect(await webhook({}, true).failed(event)).toBeUndefined();
    expect(received).toEqual([]);
  });
});
