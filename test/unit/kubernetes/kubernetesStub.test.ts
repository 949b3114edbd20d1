import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEksToken } from '../../../functions/kubernetes/eksToken.js';
import { type KubernetesStub, STUB_CREDENTIALS, startKubernetesStub } from '../../support/kubernetesStub.js';
import { unlabelledNode } from '../../support/stubNodes.js';
import { WORKERS_AND_SYSTEM } from './nodeReaderSetup.js';

interface NodeItem {
  metadata: { name: string; labels: Record<string, string> };
  spec: { providerID: string };
  status: {
    conditions: { type: string; status: string }[];
    addresses: { type: string; address: string }[];
    nodeInfo: { kubeletVersion: string };
  };
}
interface NodeList {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string };
  items: NodeItem[];
}

const token = (clusterName = 'prod', credentials = STUB_CREDENTIALS, now?: Date) =>
  createEksToken({ clusterName, region: 'us-west-2', credentials, ...(now && { now }) });

/** A Kubernetes `Status` object for a failed request, as the API server answers it. */
function failureStatus(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

async function get(stub: KubernetesStub, query: string, authorization?: string) {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const response = await fetch(`${stub.url}/api/v1/nodes${query}`, { headers });
  return { status: response.status, body: await response.json() };
}

/** Re-encodes a token after changing its presigned URL. */
function tamper(valid: string, change: (url: URL) => void): string {
  const url = new URL(Buffer.from(valid.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
  change(url);
  return `k8s-aws-v1.${Buffer.from(url.toString()).toString('base64url')}`;
}

describe('kubernetes stub', () => {
  let stub: KubernetesStub;

  beforeEach(async () => {
    stub = await startKubernetesStub({ clusterName: 'prod' });
    stub.setNodes(WORKERS_AND_SYSTEM);
  });
  afterEach(() => stub.close());

  it('serves a real-shaped NodeList', async () => {
    const { status, body } = await get(stub, '', `Bearer ${await token()}`);
    const list = body as NodeList;
    const node = list.items.find((n) => n.spec.providerID.endsWith('i-0aaa0000000000001'));

    expect(status).toBe(200);
    expect(list).toMatchObject({
      kind: 'NodeList',
      apiVersion: 'v1',
      metadata: { resourceVersion: expect.any(String) },
    });
    expect(list.items).toHaveLength(3);
    expect(node).toMatchObject({
      metadata: {
        name: 'ip-10-42-1-23.us-west-2.compute.internal',
        labels: {
          'eks.amazonaws.com/nodegroup': 'workers',
          'kubernetes.io/hostname': 'ip-10-42-1-23.us-west-2.compute.internal',
          'topology.kubernetes.io/zone': 'us-west-2a',
          'node.kubernetes.io/instance-type': 'm5.large',
        },
      },
      spec: { providerID: 'aws:///us-west-2a/i-0aaa0000000000001' },
      status: {
        conditions: expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]),
        addresses: expect.arrayContaining([{ type: 'InternalIP', address: '10.42.1.23' }]),
        nodeInfo: { kubeletVersion: expect.stringMatching(/^v1\.\d+\.\d+-eks-/) },
      },
    });
  });

  it('names us-east-1 nodes under ec2.internal, as EC2 does', async () => {
    stub.setNodes([
      {
        instanceId: 'i-0ccc0000000000001',
        availabilityZone: 'us-east-1a',
        nodegroup: 'n',
        privateIp: '10.0.0.5',
      },
    ]);

    const { body } = await get(stub, '', `Bearer ${await token()}`);

    expect((body as NodeList).items[0]?.metadata.name).toBe('ip-10-0-0-5.ec2.internal');
  });

  it('marks a node that is not ready with Ready=False', async () => {
    const { body } = await get(stub, '', `Bearer ${await token()}`);
    const node = (body as NodeList).items.find((n) => n.spec.providerID.endsWith('i-0aaa0000000000002'));

    expect(node?.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('filters by equality label selectors, comma meaning AND', async () => {
    const auth = `Bearer ${await token()}`;
    const names = async (selector: string) =>
      ((await get(stub, `?labelSelector=${encodeURIComponent(selector)}`, auth)).body as NodeList).items.map(
        (n) => n.spec.providerID.split('/').pop(),
      );

    expect(await names('eks.amazonaws.com/nodegroup=system')).toEqual(['i-0bbb0000000000003']);
    expect(await names('eks.amazonaws.com/nodegroup=workers,topology.kubernetes.io/zone=us-west-2b')).toEqual(
      ['i-0aaa0000000000002'],
    );
    expect(await names('eks.amazonaws.com/nodegroup!=workers')).toEqual(['i-0bbb0000000000003']);
  });

  it('pages with limit and continue', async () => {
    const auth = `Bearer ${await token()}`;
    const first = (await get(stub, '?limit=2', auth)).body as NodeList;
    const second = (
      await get(stub, `?limit=2&continue=${encodeURIComponent(first.metadata.continue ?? '')}`, auth)
    ).body as NodeList;

    expect(first.items).toHaveLength(2);
    expect(second.items).toHaveLength(1);
    expect(second.metadata.continue).toBeUndefined();
    expect(new Set([...first.items, ...second.items].map((n) => n.metadata.name)).size).toBe(3);
  });

  it('serves a node registered without the nodegroup label only to lists that do not select on it', async () => {
    stub.addNode(unlabelledNode('i-0ddd0000000000004'));
    const auth = `Bearer ${await token()}`;
    const ids = async (query: string) =>
      ((await get(stub, query, auth)).body as NodeList).items.map((n) => n.spec.providerID.split('/').pop());

    expect(await ids('?labelSelector=eks.amazonaws.com%2Fnodegroup%3Dworkers')).not.toContain(
      'i-0ddd0000000000004',
    );
    const whole = ((await get(stub, '?limit=3', auth)).body as NodeList).metadata.continue;
    const rest = (
      (await get(stub, `?limit=3&continue=${encodeURIComponent(whole ?? '')}`, auth)).body as NodeList
    ).items;
    expect(rest).toHaveLength(1);
    expect(await ids('')).toContain('i-0ddd0000000000004');
    const unlabelled = ((await get(stub, '', auth)).body as NodeList).items.find((n) =>
      n.spec.providerID.endsWith('i-0ddd0000000000004'),
    );
    expect(unlabelled?.metadata.labels).not.toHaveProperty('eks.amazonaws.com/nodegroup');
    expect(unlabelled?.metadata.labels).toHaveProperty('topology.kubernetes.io/zone', 'us-west-2a');
  });

  it('lists its node list requests apart from the others', async () => {
    const auth = `Bearer ${await token()}`;
    await get(stub, '?limit=2', auth);
    await fetch(`${stub.url}/api/v1/namespaces/kube-system/configmaps/aws-auth`, {
      headers: { authorization: auth },
    });
    await get(stub, '?labelSelector=a%3Db', auth);

    expect(stub.requests).toHaveLength(3);
    expect(stub.nodeListRequests().map((r) => r.query)).toEqual([{ limit: '2' }, { labelSelector: 'a=b' }]);
  });

  it('answers a bad continue token with 400', async () => {
    const { status, body } = await get(stub, '?continue=bogus', `Bearer ${await token()}`);

    expect(status).toBe(400);
    expect(body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  it('removes nodes', async () => {
    stub.removeNode('i-0aaa0000000000001');

    const { body } = await get(stub, '', `Bearer ${await token()}`);

    expect((body as NodeList).items).toHaveLength(2);
  });

  it('records every request', async () => {
    const auth = `Bearer ${await token()}`;
    await get(stub, '?labelSelector=a%3Db&limit=5', auth);

    expect(stub.requests).toEqual([
      {
        method: 'GET',
        path: '/api/v1/nodes',
        query: { labelSelector: 'a=b', limit: '5' },
        authorization: auth,
      },
    ]);
  });

  it.each([
    ['no Authorization header', async () => undefined, 'no bearer token'],
    ['a non-bearer scheme', async () => 'Basic dXNlcjpwYXNz', 'no bearer token'],
    [
      'a token without the prefix',
      async () => `Bearer ${(await token()).slice('k8s-aws-v1.'.length)}`,
      'prefix',
    ],
    ['a padded token', async () => `Bearer ${await token()}==`, 'base64url'],
    [
      'a URL on another host',
      async () =>
        `Bearer ${tamper(await token(), (u) => {
          u.host = 'sts.example.com';
        })}`,
      'unexpected hostname',
    ],
    [
      'another action',
      async () => `Bearer ${tamper(await token(), (u) => u.searchParams.set('Action', 'AssumeRole'))}`,
      'unexpected action',
    ],
    [
      'an unsigned cluster header',
      async () => `Bearer ${tamper(await token(), (u) => u.searchParams.set('X-Amz-SignedHeaders', 'host'))}`,
      'x-k8s-aws-id',
    ],
    [
      'no signature',
      async () => `Bearer ${tamper(await token(), (u) => u.searchParams.delete('X-Amz-Signature'))}`,
      'X-Amz-Signature',
    ],
    [
      'an extra parameter',
      async () => `Bearer ${tamper(await token(), (u) => u.searchParams.set('X-Amz-Foo', '1'))}`,
      'non-whitelisted',
    ],
    [
      'a token older than 15 minutes',
      async () => `Bearer ${await token('prod', STUB_CREDENTIALS, new Date(Date.now() - 16 * 60_000))}`,
      'expired',
    ],
    [
      'a token for another cluster',
      async () => `Bearer ${await token('staging')}`,
      'signature does not match',
    ],
    [
      'a token signed with another secret',
      async () => `Bearer ${await token('prod', { ...STUB_CREDENTIALS, secretAccessKey: 'other' })}`,
      'signature does not match',
    ],
    [
      'a token of an unknown access key',
      async () => `Bearer ${await token('prod', { ...STUB_CREDENTIALS, accessKeyId: 'AKIAOTHER' })}`,
      'unknown access key',
    ],
  ])('rejects %s with a 401 Status', async (_what, authorization, reason) => {
    const { status, body } = await get(stub, '', await authorization());

    expect(status).toBe(401);
    expect(body).toEqual(failureStatus(401, 'Unauthorized', 'Unauthorized'));
    expect(stub.requests[0]?.tokenRejected).toContain(reason);
  });

  it('checks only the token format when it was not told the cluster name', async () => {
    const anyCluster = await startKubernetesStub();
    try {
      const foreign = await token('staging', { accessKeyId: 'AKIAOTHER', secretAccessKey: 'other' });

      expect((await get(anyCluster, '', `Bearer ${foreign}`)).status).toBe(200);
    } finally {
      await anyCluster.close();
    }
  });

  it('answers 403 with the RBAC Status in forbidden mode', async () => {
    stub.setMode('forbidden');

    const { status, body } = await get(stub, '', `Bearer ${await token()}`);

    expect(status).toBe(403);
    expect(body).toEqual({
      ...failureStatus(
        403,
        'Forbidden',
        'nodes is forbidden: User "arn:aws:sts::123456789012:assumed-role/x/y" cannot list resource "nodes" in API group "" at the cluster scope',
      ),
      details: { kind: 'nodes' },
    });
  });

  it('authenticates before it authorizes: a bad token is 401 even in forbidden mode', async () => {
    stub.setMode('forbidden');

    expect((await get(stub, '', 'Bearer nope')).status).toBe(401);
  });

  it('answers 500 in error mode and 401 to any token in unauthorized mode', async () => {
    const auth = `Bearer ${await token()}`;
    stub.setMode('error');
    expect((await get(stub, '', auth)).status).toBe(500);
    stub.setMode('unauthorized');
    expect((await get(stub, '', auth)).status).toBe(401);
  });
});
