import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';

process.env.DDO_LOG_LEVEL = 'silent';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- registers the function
require('../../../../functions/dead-letters');

let server: Server;
let url: string;

beforeAll(async () => {
  server = getTestServer('deadLetters');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('the dead-letter sink', () => {
  it('keeps a dead event with its decoded reason', async () => {
    const reason = JSON.stringify({ status: 400, detail: 'data/iteration is required.' });

    const post = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'dead-1',
        'ce-source': '/ddo/planner',
        'ce-type': 'dev.ddo.plan.created',
        'ce-knativeerrorcode': '400',
        'ce-knativeerrordest': 'http://ddo-orchestrator.ddo.svc.cluster.local',
        'ce-knativeerrordata': Buffer.from(reason).toString('base64'),
      },
      body: JSON.stringify({ runId: 'r1' }),
    });
    const list = (await (await fetch(url)).json()) as { deadLetters: Record<string, unknown>[] };

    expect(post.status).toBe(202);
    expect(list.deadLetters[0]).toMatchObject({ eventId: 'dead-1', errorCode: '400', errorData: reason, data: { runId: 'r1' } });
  });

  it('refuses a request that is not a CloudEvent with a 400', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

    expect(res.status).toBe(400);
  });
});
