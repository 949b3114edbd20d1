/** The stub's misbehaving modes: a repeated continue token, a slow body, an oversized list. */
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEksToken } from '../../../functions/kubernetes/eksToken.js';
import { type KubernetesStub, REPEATED_CONTINUE, startKubernetesStub } from '../../support/kubernetesStub.js';

interface NodeList {
  kind: string;
  metadata: { continue?: string };
  items: { metadata: { name: string; annotations?: Record<string, string> }; spec: { providerID: string } }[];
}

const authorization = async () =>
  `Bearer ${await createEksToken({
    clusterName: 'prod',
    region: 'us-west-2',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' },
  })}`;

interface Timed {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** ms from the request to the headers, to the first body bytes, and to the end. */
  atHeaders: number;
  atFirstBytes: number;
  atEnd: number;
}

/** One GET, timing when the headers, the first body bytes and the end arrive. */
async function timedGet(url: string, auth?: string): Promise<Timed> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: auth ? { authorization: auth } : {} }, (response) => {
      const atHeaders = Date.now() - started;
      let atFirstBytes = -1;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => {
        if (atFirstBytes < 0) atFirstBytes = Date.now() - started;
        chunks.push(chunk);
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          atHeaders,
          atFirstBytes,
          atEnd: Date.now() - started,
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

describe('kubernetes stub modes', () => {
  let stub: KubernetesStub;
  let auth: string;

  beforeEach(async () => {
    stub = await startKubernetesStub({ clusterName: 'prod' });
    stub.setNodes([
      { instanceId: 'i-0aaa0000000000001', availabilityZone: 'us-west-2a', nodegroup: 'workers' },
      { instanceId: 'i-0aaa0000000000002', availabilityZone: 'us-west-2a', nodegroup: 'workers' },
    ]);
    stub.setConfigMap('kube-system', 'aws-auth', { mapRoles: '' });
    auth = await authorization();
  });
  afterEach(() => stub.close());

  it('repeat-continue: every page is the first, with one and the same continue token, even when all fits', async () => {
    stub.setMode('repeat-continue');

    const first = await timedGet(`${stub.url}/api/v1/nodes?limit=500`, auth);
    const second = await timedGet(
      `${stub.url}/api/v1/nodes?limit=500&continue=${encodeURIComponent(REPEATED_CONTINUE)}`,
      auth,
    );

    for (const page of [first, second]) {
      expect(page.status).toBe(200);
      const list = JSON.parse(page.body) as NodeList;
      expect(list.kind).toBe('NodeList');
      expect(list.metadata.continue).toBe(REPEATED_CONTINUE);
      expect(list.items.map((n) => n.spec.providerID.split('/').pop())).toEqual([
        'i-0aaa0000000000001',
        'i-0aaa0000000000002',
      ]);
    }
    // ConfigMaps as in 'ok'; and 'ok' restores the paging.
    expect(
      (await timedGet(`${stub.url}/api/v1/namespaces/kube-system/configmaps/aws-auth`, auth)).status,
    ).toBe(200);
    stub.setMode('ok');
    const ok = JSON.parse((await timedGet(`${stub.url}/api/v1/nodes?limit=500`, auth)).body) as NodeList;
    expect(ok.metadata.continue).toBeUndefined();
  });

  it('slow-body: status, headers and half the body at once, the rest after bodyDelayMs', async () => {
    stub.setMode('slow-body', { bodyDelayMs: 400 });

    const page = await timedGet(`${stub.url}/api/v1/nodes`, auth);

    expect(page.status).toBe(200);
    expect(page.atFirstBytes).toBeLessThan(300);
    expect(page.atEnd).toBeGreaterThanOrEqual(390);
    expect(Number(page.headers['content-length'])).toBe(Buffer.byteLength(page.body));
    expect((JSON.parse(page.body) as NodeList).items).toHaveLength(2);
    const configMap = await timedGet(`${stub.url}/api/v1/namespaces/kube-system/configmaps/aws-auth`, auth);
    expect(configMap.atEnd).toBeGreaterThanOrEqual(390);
  });

  it('slow-body: a 401 is answered at once', async () => {
    stub.setMode('slow-body', { bodyDelayMs: 5000 });

    const refused = await timedGet(`${stub.url}/api/v1/nodes`);

    expect(refused.status).toBe(401);
    expect(refused.atEnd).toBeLessThan(1000);
  });

  it('oversized: a valid NodeList of bodyBytes bytes, streamed without Content-Length', async () => {
    stub.setMode('oversized', { bodyBytes: 3 * 1024 * 1024 });

    const page = await timedGet(`${stub.url}/api/v1/nodes`, auth);

    expect(page.headers['content-length']).toBeUndefined();
    expect(Buffer.byteLength(page.body)).toBeGreaterThan(3 * 1024 * 1024 - 128);
    expect(Buffer.byteLength(page.body)).toBeLessThanOrEqual(3 * 1024 * 1024);
    const list = JSON.parse(page.body) as NodeList;
    expect(list.items.map((n) => n.spec.providerID.split('/').pop())).toEqual([
      'i-0aaa0000000000001',
      'i-0aaa0000000000002',
    ]);
    expect(list.items[0]?.metadata.annotations?.['stub.example.com/padding']?.length).toBeGreaterThan(1024);
  });

  it('afterNodeLists: the mode applies once that many node list requests were answered as in ok', async () => {
    stub.setMode('error', { afterNodeLists: 2 });

    // A ConfigMap read in between is answered as in 'ok' and does not count.
    const configMap = await timedGet(`${stub.url}/api/v1/namespaces/kube-system/configmaps/aws-auth`, auth);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await timedGet(`${stub.url}/api/v1/nodes`, auth)).status);

    expect(configMap.status).toBe(200);
    expect(statuses).toEqual([200, 200, 500]);
    stub.setMode('ok');
    expect((await timedGet(`${stub.url}/api/v1/nodes`, auth)).status).toBe(200);
  });

  it('oversized: 17 MiB by default', async () => {
    stub.setMode('oversized');

    const page = await timedGet(`${stub.url}/api/v1/nodes`, auth);

    expect(Buffer.byteLength(page.body)).toBeGreaterThan(16 * 1024 * 1024);
  });
});
