import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, KubernetesCallError } from '../../../functions/core/errors.js';
import { KubernetesNodeReader, parseProviderId } from '../../../functions/kubernetes/KubernetesNodeReader.js';
import { type KubernetesStub, STUB_CREDENTIALS, startKubernetesStub } from '../../support/kubernetesStub.js';
import { cluster, credentials, startFixedServer } from './nodeReaderSetup.js';

describe('parseProviderId', () => {
  it('reads the zone and instance id of an EC2 provider id', () => {
    expect(parseProviderId('aws:///us-west-2a/i-0123456789abcdef0')).toEqual({
      availabilityZone: 'us-west-2a',
      instanceId: 'i-0123456789abcdef0',
    });
  });

  it.each([
    [
      'a Fargate node',
      'aws:///us-west-2a/3e5c7a9f12-8f0f2c0b1a4e4d6f9e0a7b3c5d1e2f40/fargate-ip-10-0-1-2.us-west-2.compute.internal',
    ],
    ['a hybrid node', 'eks-hybrid:///us-west-2/my-cluster/mi-0123456789abcdef0'],
    ['an empty string', ''],
  ])('returns undefined for %s', (_what, providerId) => {
    expect(parseProviderId(providerId)).toBeUndefined();
  });
});

describe('KubernetesNodeReader against the stub API server', () => {
  let stub: KubernetesStub;

  beforeEach(async () => {
    stub = await startKubernetesStub({ clusterName: 'prod' });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await stub.close();
  });

  const reader = (options: { pageSize?: number } = {}) =>
    new KubernetesNodeReader({ credentials, apiUrlOverride: stub.url, ...options });

  it('returns the Nodes of the nodegroup with instance id, readiness and nodegroup', async () => {
    stub.setNodes([
      {
        instanceId: 'i-0aaa0000000000001',
        availabilityZone: 'us-west-2a',
        nodegroup: 'workers',
        privateIp: '10.42.1.23',
      },
      {
        instanceId: 'i-0aaa0000000000002',
        availabilityZone: 'us-west-2b',
        nodegroup: 'workers',
        ready: false,
      },
      { instanceId: 'i-0bbb0000000000003', availabilityZone: 'us-west-2a', nodegroup: 'system' },
    ]);

    const membership = await reader().listNodes(cluster(), 'workers');

    expect(membership).toEqual({
      kind: 'known',
      nodes: expect.arrayContaining([
        {
          name: 'ip-10-42-1-23.us-west-2.compute.internal',
          providerId: 'aws:///us-west-2a/i-0aaa0000000000001',
          instanceId: 'i-0aaa0000000000001',
          ready: true,
          nodegroup: 'workers',
        },
        expect.objectContaining({ instanceId: 'i-0aaa0000000000002', ready: false, nodegroup: 'workers' }),
      ]),
    });
    expect(membership.kind === 'known' && membership.nodes).toHaveLength(2);
  });

  it('asks for the nodegroup label with a page limit, as JSON, with a bearer EKS token', async () => {
    await reader().listNodes(cluster(), 'workers');

    expect(stub.requests).toEqual([
      {
        method: 'GET',
        path: '/api/v1/nodes',
        query: { labelSelector: 'eks.amazonaws.com/nodegroup=workers', limit: '500' },
        authorization: expect.stringMatching(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/),
      },
    ]);
  });

  it('sends the label selector URL-encoded', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    await new KubernetesNodeReader({ credentials, apiUrlOverride: url }).listNodes(cluster(), 'workers');
    server.closeAllConnections();
    server.close();

    expect(seen).toEqual(['/api/v1/nodes?labelSelector=eks.amazonaws.com%2Fnodegroup%3Dworkers&limit=500']);
  });

  it('follows continue tokens until the list is complete', async () => {
    stub.setNodes(
      Array.from({ length: 5 }, (_, i) => ({
        instanceId: `i-0aaa000000000000${i}`,
        availabilityZone: 'us-west-2a',
        nodegroup: 'workers',
      })),
    );

    const membership = await reader({ pageSize: 2 }).listNodes(cluster(), 'workers');

    expect(membership.kind === 'known' && membership.nodes.map((n) => n.instanceId).sort()).toEqual([
      'i-0aaa0000000000000',
      'i-0aaa0000000000001',
      'i-0aaa0000000000002',
      'i-0aaa0000000000003',
      'i-0aaa0000000000004',
    ]);
    expect(stub.requests.map((r) => [r.query.limit, r.query.continue !== undefined])).toEqual([
      ['2', false],
      ['2', true],
      ['2', true],
    ]);
  });

  it('signs one token per cluster and reuses it for ten minutes', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date() });
    const shared = reader();

    await shared.listNodes(cluster(), 'workers');
    await shared.listNodes(cluster(), 'system');
    vi.advanceTimersByTime(9 * 60 * 1000);
    await shared.listNodes(cluster(), 'workers');
    vi.advanceTimersByTime(2 * 60 * 1000);
    await shared.listNodes(cluster(), 'workers');

    const tokens = stub.requests.map((r) => r.authorization);
    expect(new Set(tokens.slice(0, 3)).size).toBe(1);
    expect(tokens[3]).not.toBe(tokens[0]);
  });

  it('keeps tokens of different clusters apart', async () => {
    const shared = reader();

    await shared.listNodes(cluster(), 'workers');
    const other = await shared.listNodes(cluster({ name: 'staging' }), 'workers');

    expect(new Set(stub.requests.map((r) => r.authorization)).size).toBe(2);
    // The stub plays the prod cluster: a token bound to staging must not get in.
    expect(other).toMatchObject({ kind: 'unknown', reason: 'forbidden', status: 401 });
  });

  it('reports 401 as forbidden: the identity has no access entry', async () => {
    stub.setMode('unauthorized');

    expect(await reader().listNodes(cluster(), 'workers')).toEqual({
      kind: 'unknown',
      reason: 'forbidden',
      status: 401,
      detail: 'Unauthorized',
      endpoint: stub.url,
    });
  });

  it('reports 403 as forbidden with the RBAC message', async () => {
    stub.setMode('forbidden');

    expect(await reader().listNodes(cluster(), 'workers')).toEqual({
      kind: 'unknown',
      reason: 'forbidden',
      status: 403,
      detail:
        'nodes is forbidden: User "arn:aws:sts::123456789012:assumed-role/x/y" cannot list resource "nodes" in API group "" at the cluster scope',
      endpoint: stub.url,
    });
  });

  it('signs a fresh token after a 401', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date() });
    const shared = reader();
    stub.setMode('unauthorized');
    await shared.listNodes(cluster(), 'workers');
    stub.setMode('ok');
    vi.advanceTimersByTime(2000); // past the one-second resolution of X-Amz-Date

    await shared.listNodes(cluster(), 'workers');

    expect(stub.requests[1]?.authorization).not.toBe(stub.requests[0]?.authorization);
  });

  it('reports a server error as unreachable with the HTTP status', async () => {
    stub.setMode('error');

    expect(await reader().listNodes(cluster(), 'workers')).toEqual({
      kind: 'unknown',
      reason: 'unreachable',
      status: 500,
      detail: 'HTTP 500: Internal error occurred: etcdserver: request timed out',
      endpoint: stub.url,
    });
  });

  it('reports a closed port as unreachable with ECONNREFUSED', async () => {
    const closed = stub.url;
    await stub.close();
    stub = await startKubernetesStub();

    const membership = await new KubernetesNodeReader({ credentials, apiUrlOverride: closed }).listNodes(
      cluster(),
      'workers',
    );

    expect(membership).toMatchObject({ kind: 'unknown', reason: 'unreachable', endpoint: closed });
    expect(membership.kind === 'unknown' && membership.detail).toMatch(/^ECONNREFUSED/);
  });

  it('reports a silent server as unreachable with ETIMEDOUT after the timeout', async () => {
    const silent = await startFixedServer(undefined);
    try {
      const started = Date.now();
      const membership = await new KubernetesNodeReader({
        credentials,
        apiUrlOverride: silent.url,
        timeoutMs: 200,
      }).listNodes(cluster(), 'workers');

      expect(membership).toEqual({
        kind: 'unknown',
        reason: 'unreachable',
        detail: 'ETIMEDOUT: no response within 200 ms',
        endpoint: silent.url,
      });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await silent.close();
    }
  });

  it.each([
    ['a non-JSON body', '<html>502 Bad Gateway</html>', /^malformed NodeList response: not JSON/],
    [
      'JSON that is not a NodeList',
      '{"kind":"PodList","items":[]}',
      /^malformed NodeList response: expected kind NodeList/,
    ],
    ['a Node without a name', '{"kind":"NodeList","items":[{"metadata":{}}]}', /no metadata.name/],
  ])('reports %s as unreachable', async (_what, body, detail) => {
    const server = await startFixedServer(200, body);
    try {
      const membership = await new KubernetesNodeReader({
        credentials,
        apiUrlOverride: server.url,
      }).listNodes(cluster(), 'workers');

      expect(membership).toMatchObject({ kind: 'unknown', reason: 'unreachable', endpoint: server.url });
      expect(membership.kind === 'unknown' && membership.detail).toMatch(detail);
    } finally {
      await server.close();
    }
  });

  it('quotes a non-Status error body', async () => {
    const server = await startFixedServer(502, 'upstream connect error');
    try {
      const membership = await new KubernetesNodeReader({
        credentials,
        apiUrlOverride: server.url,
      }).listNodes(cluster(), 'workers');

      expect(membership).toMatchObject({
        reason: 'unreachable',
        status: 502,
        detail: 'HTTP 502: upstream connect error',
      });
    } finally {
      await server.close();
    }
  });
});

describe('KubernetesNodeReader without a usable endpoint', () => {
  it('reports a cluster without an endpoint as unreachable', async () => {
    const membership = await new KubernetesNodeReader({ credentials }).listNodes(
      cluster({ endpoint: undefined }),
      'workers',
    );

    expect(membership).toMatchObject({ kind: 'unknown', reason: 'unreachable', endpoint: '' });
  });

  it('refuses a plain-http cluster endpoint unless it comes from the override', async () => {
    const membership = await new KubernetesNodeReader({ credentials }).listNodes(
      cluster({ endpoint: 'http://10.0.0.1' }),
      'workers',
    );

    expect(membership).toMatchObject({ kind: 'unknown', reason: 'unreachable', endpoint: 'http://10.0.0.1' });
    expect(membership.kind === 'unknown' && membership.detail).toMatch(/non-https/);
  });

  it('rejects an override that is not an http(s) URL', () => {
    expect(() => new KubernetesNodeReader({ credentials, apiUrlOverride: 'localhost:8001' })).toThrow(
      ConfigError,
    );
  });

  it('throws KubernetesCallError to every caller when no credentials can be had, and retries later', async () => {
    const server = await startFixedServer(
      200,
      '{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":[]}',
    );
    let available = false;
    const reader = new KubernetesNodeReader({
      credentials: async () => {
        if (!available) throw new Error('Could not load credentials from any providers');
        return STUB_CREDENTIALS;
      },
      apiUrlOverride: server.url,
    });
    try {
      const concurrent = [reader.listNodes(cluster(), 'workers'), reader.listNodes(cluster(), 'system')];

      for (const call of concurrent) {
        await expect(call).rejects.toThrow(KubernetesCallError);
        await expect(call).rejects.toThrow(/cluster prod: Could not load credentials/);
      }
      available = true;
      expect(await reader.listNodes(cluster(), 'workers')).toEqual({ kind: 'known', nodes: [] });
    } finally {
      await server.close();
    }
  });
});
