import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { judgeInstances } from '../../../functions/core/diagnose/judgeInstances.js';
import { ConfigError, KubernetesCallError } from '../../../functions/core/model/errors.js';
import type { Membership } from '../../../functions/core/model/types.js';
import { KubernetesNodeReader, parseProviderId } from '../../../functions/kubernetes/KubernetesNodeReader.js';
import { instance } from '../../support/factories.js';
import {
  type KubernetesStub,
  NOT_READY_CNI_MESSAGE,
  STUB_CREDENTIALS,
  startKubernetesStub,
} from '../../support/kubernetesStub.js';
import { notReadyNode, stubNode, unlabelledNode } from '../../support/stubNodes.js';
import { cluster, credentials, listen, startFixedServer, WORKERS_AND_SYSTEM } from './nodeReaderSetup.js';

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
    stub.setNodes(WORKERS_AND_SYSTEM);

    const membership = await reader().listNodes(cluster(), 'workers', [
      'i-0aaa0000000000001',
      'i-0aaa0000000000002',
    ]);

    expect(membership).toEqual({
      kind: 'known',
      nodes: expect.arrayContaining([
        {
          name: 'ip-10-42-1-23.us-west-2.compute.internal',
          providerId: 'aws:///us-west-2a/i-0aaa0000000000001',
          instanceId: 'i-0aaa0000000000001',
          ready: true,
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          nodegroup: 'workers',
        },
        expect.objectContaining({
          instanceId: 'i-0aaa0000000000002',
          ready: false,
          readyReason: 'KubeletNotReady',
          readyMessage: NOT_READY_CNI_MESSAGE,
          nodegroup: 'workers',
        }),
      ]),
    });
    expect(membership.kind === 'known' && membership.nodes).toHaveLength(2);
  });

  it('asks for the nodegroup label with a page limit, as JSON, with a bearer EKS token', async () => {
    await reader().listNodes(cluster(), 'workers', []);

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
    const server = await listen(
      http.createServer((req, res) => {
        seen.push(req.url ?? '');
        res.end(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [] }));
      }),
    );

    await new KubernetesNodeReader({ credentials, apiUrlOverride: server.url }).listNodes(
      cluster(),
      'workers',
      [],
    );
    await server.close();

    expect(seen).toEqual(['/api/v1/nodes?labelSelector=eks.amazonaws.com%2Fnodegroup%3Dworkers&limit=500']);
  });

  it('follows continue tokens until the list is complete', async () => {
    stub.setNodes(Array.from({ length: 5 }, (_, i) => stubNode(`i-0aaa000000000000${i}`)));

    const membership = await reader({ pageSize: 2 }).listNodes(cluster(), 'workers', []);

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

    await shared.listNodes(cluster(), 'workers', []);
    await shared.listNodes(cluster(), 'system', []);
    vi.advanceTimersByTime(9 * 60 * 1000);
    await shared.listNodes(cluster(), 'workers', []);
    vi.advanceTimersByTime(2 * 60 * 1000);
    await shared.listNodes(cluster(), 'workers', []);

    const tokens = stub.requests.map((r) => r.authorization);
    expect(new Set(tokens.slice(0, 3)).size).toBe(1);
    expect(tokens[3]).not.toBe(tokens[0]);
  });

  it('keeps tokens of different clusters apart', async () => {
    const shared = reader();

    await shared.listNodes(cluster(), 'workers', []);
    const other = await shared.listNodes(cluster({ name: 'staging' }), 'workers', []);

    expect(new Set(stub.requests.map((r) => r.authorization)).size).toBe(2);
    // The stub plays the prod cluster: a token bound to staging must not get in.
    expect(other).toMatchObject({ kind: 'unknown', reason: 'forbidden', status: 401 });
  });

  const RBAC_DENIAL =
    'nodes is forbidden: User "arn:aws:sts::123456789012:assumed-role/x/y" cannot list resource "nodes" in API group "" at the cluster scope';
  const ETCD_TIMEOUT = 'HTTP 500: Internal error occurred: etcdserver: request timed out';

  // What is reported, the stub's mode, then the reason, HTTP status and detail of the unknown membership.
  it.each([
    ['401 as forbidden: the identity has no access entry', 'unauthorized', 'forbidden', 401, 'Unauthorized'],
    ['403 as forbidden with the RBAC message', 'forbidden', 'forbidden', 403, RBAC_DENIAL],
    ['a server error as unreachable with the HTTP status', 'error', 'unreachable', 500, ETCD_TIMEOUT],
  ] as const)('reports %s', async (_what, mode, reason, status, detail) => {
    stub.setMode(mode);

    expect(await reader().listNodes(cluster(), 'workers', [])).toEqual({
      kind: 'unknown',
      reason,
      status,
      detail,
      endpoint: stub.url,
    });
  });

  it('signs a fresh token after a 401', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date() });
    const shared = reader();
    stub.setMode('unauthorized');
    await shared.listNodes(cluster(), 'workers', []);
    stub.setMode('ok');
    vi.advanceTimersByTime(2000); // past the one-second resolution of X-Amz-Date

    await shared.listNodes(cluster(), 'workers', []);

    expect(stub.requests[1]?.authorization).not.toBe(stub.requests[0]?.authorization);
  });

  it('reports a closed port as unreachable with ECONNREFUSED', async () => {
    const closed = stub.url;
    await stub.close();
    stub = await startKubernetesStub();

    const membership = await new KubernetesNodeReader({ credentials, apiUrlOverride: closed }).listNodes(
      cluster(),
      'workers',
      [],
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
      }).listNodes(cluster(), 'workers', []);

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
      }).listNodes(cluster(), 'workers', []);

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
      }).listNodes(cluster(), 'workers', []);

      expect(membership).toMatchObject({
        reason: 'unreachable',
        status: 502,
        detail: 'HTTP 502: upstream connect error',
      });
    } finally {
      await server.close();
    }
  });

  it("maps a not-Ready node's Ready condition (reason, message) and when it registered", async () => {
    stub.setNodes([
      notReadyNode('i-0aaa0000000000001'),
      notReadyNode('i-0aaa0000000000002', 'workers', {
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
      }),
      stubNode('i-0aaa0000000000003'),
    ]);
    const ids = ['i-0aaa0000000000001', 'i-0aaa0000000000002', 'i-0aaa0000000000003'];

    const membership = await reader().listNodes(cluster(), 'workers', ids);

    const byInstance = new Map(
      (membership.kind === 'known' ? membership.nodes : []).map((n) => [n.instanceId, n]),
    );
    expect(byInstance.get('i-0aaa0000000000001')).toMatchObject({
      ready: false,
      readyReason: 'KubeletNotReady',
      readyMessage: NOT_READY_CNI_MESSAGE,
    });
    expect(byInstance.get('i-0aaa0000000000002')).toMatchObject({
      ready: false,
      readyReason: 'NodeStatusUnknown',
      readyMessage: 'Kubelet stopped posting node status.',
    });
    // A Ready node carries no reason: only why a node is not Ready is worth saying.
    const ready = byInstance.get('i-0aaa0000000000003');
    expect(ready?.ready).toBe(true);
    expect(ready).not.toHaveProperty('readyReason');
    expect(ready).not.toHaveProperty('readyMessage');
    for (const node of byInstance.values()) {
      expect(Math.abs(Date.parse(node.createdAt ?? '') - Date.now())).toBeLessThan(60_000);
    }

    // ...and the verdicts carry it on.
    const launchedAt = new Date(Date.now() - 3_600_000).toISOString();
    const verdicts = judgeInstances(
      ids.map((instanceId) => instance({ instanceId, launchedAt })),
      membership,
      new Date(),
      300,
    );
    expect(verdicts[0]).toMatchObject({
      joined: true,
      ready: false,
      readyReason: 'KubeletNotReady',
      readyMessage: NOT_READY_CNI_MESSAGE,
    });
  });

  it('takes the Ready condition as the API server may send it: no conditions, odd types, blanks', async () => {
    const node = (name: string, extra: { metadata?: Record<string, unknown>; status: unknown }) => ({
      metadata: { name, labels: { 'eks.amazonaws.com/nodegroup': 'workers' }, ...extra.metadata },
      spec: { providerID: `aws:///us-west-2a/i-0aaa000000000000${name.slice(-1)}` },
      status: extra.status,
    });
    const body = JSON.stringify({
      kind: 'NodeList',
      apiVersion: 'v1',
      metadata: {},
      items: [
        // Just registered: the kubelet has not posted any condition yet.
        node('n1', { metadata: { creationTimestamp: '2026-11-26T09:01:02Z' }, status: {} }),
        node('n2', {
          metadata: { creationTimestamp: 1764147662 },
          status: { conditions: [{ type: 'Ready', status: 'False', reason: 42, message: '   ' }] },
        }),
        node('n3', {
          status: {
            conditions: [
              { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
              {
                type: 'Ready',
                status: 'Unknown',
                reason: ' NodeStatusUnknown ',
                message: 'Kubelet never posted node status.',
              },
            ],
          },
        }),
      ],
    });
    const server = await startFixedServer(200, body);
    try {
      const membership = await new KubernetesNodeReader({
        credentials,
        apiUrlOverride: server.url,
      }).listNodes(cluster(), 'workers', []);
      expect(membership.kind === 'known' && membership.nodes).toEqual([
        {
          name: 'n1',
          providerId: 'aws:///us-west-2a/i-0aaa0000000000001',
          instanceId: 'i-0aaa0000000000001',
          ready: false,
          createdAt: '2026-11-26T09:01:02Z',
          nodegroup: 'workers',
        },
        {
          name: 'n2',
          providerId: 'aws:///us-west-2a/i-0aaa0000000000002',
          instanceId: 'i-0aaa0000000000002',
          ready: false,
          nodegroup: 'workers',
        },
        {
          name: 'n3',
          providerId: 'aws:///us-west-2a/i-0aaa0000000000003',
          instanceId: 'i-0aaa0000000000003',
          ready: false,
          readyReason: 'NodeStatusUnknown',
          readyMessage: 'Kubelet never posted node status.',
          nodegroup: 'workers',
        },
      ]);
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
      [],
    );

    expect(membership).toMatchObject({ kind: 'unknown', reason: 'unreachable', endpoint: '' });
  });

  it('refuses a plain-http cluster endpoint unless it comes from the override', async () => {
    const membership = await new KubernetesNodeReader({ credentials }).listNodes(
      cluster({ endpoint: 'http://10.0.0.1' }),
      'workers',
      [],
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
      const concurrent = [
        reader.listNodes(cluster(), 'workers', []),
        reader.listNodes(cluster(), 'system', []),
      ];

      for (const call of concurrent) {
        await expect(call).rejects.toThrow(KubernetesCallError);
        await expect(call).rejects.toThrow(/cluster prod: Could not load credentials/);
      }
      available = true;
      expect(await reader.listNodes(cluster(), 'workers', [])).toEqual({ kind: 'known', nodes: [] });
    } finally {
      await server.close();
    }
  });
});

/** A server that answers each node list request as `answer` says, given the request's query; counts them. */
async function startScriptedServer(
  answer: (query: URLSearchParams, count: number) => { status: number; body: unknown },
): Promise<{ url: string; queries: URLSearchParams[]; close(): Promise<void> }> {
  const queries: URLSearchParams[] = [];
  const server = http.createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://scripted').searchParams;
    queries.push(query);
    const { status, body } = answer(query, queries.length);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  return { ...(await listen(server)), queries };
}

const nodeList = (items: { name: string; instanceId: string; nodegroup?: string }[], next?: string) => ({
  kind: 'NodeList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '1', ...(next && { continue: next }) },
  items: items.map(({ name, instanceId, nodegroup }) => ({
    metadata: { name, labels: nodegroup ? { 'eks.amazonaws.com/nodegroup': nodegroup } : {} },
    spec: { providerID: `aws:///us-west-2a/${instanceId}` },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  })),
});

const instanceIdsOf = (membership: Membership) =>
  membership.kind === 'known' ? membership.nodes.map((n) => n.instanceId).sort() : membership;

describe('KubernetesNodeReader membership beyond the nodegroup label', () => {
  let stub: KubernetesStub;

  beforeEach(async () => {
    stub = await startKubernetesStub({ clusterName: 'prod' });
  });
  afterEach(() => stub.close());

  const reader = (options: { pageSize?: number } = {}) =>
    new KubernetesNodeReader({ credentials, apiUrlOverride: stub.url, ...options });
  /** Whole-list reads: node list requests without a label selector (one per page). */
  const wholeListReads = () => stub.nodeListRequests().filter((r) => r.query.labelSelector === undefined);

  it('finds a Node registered without the nodegroup label by the provider ID naming the instance', async () => {
    stub.setNodes([
      stubNode('i-0aaa0000000000001'),
      {
        instanceId: 'i-0aaa0000000000002',
        availabilityZone: 'us-west-2b',
        nodegroup: 'workers',
        nodegroupLabel: false,
        privateIp: '10.42.7.7',
      },
      stubNode('i-0bbb0000000000003', 'system'),
    ]);

    const membership = await reader().listNodes(cluster(), 'workers', [
      'i-0aaa0000000000001',
      'i-0aaa0000000000002',
    ]);

    expect(membership).toEqual({
      kind: 'known',
      nodes: [
        expect.objectContaining({ instanceId: 'i-0aaa0000000000001', nodegroup: 'workers' }),
        {
          name: 'ip-10-42-7-7.us-west-2.compute.internal',
          providerId: 'aws:///us-west-2b/i-0aaa0000000000002',
          instanceId: 'i-0aaa0000000000002',
          ready: true,
          createdAt: expect.any(String),
        },
      ],
    });
    expect(stub.nodeListRequests().map((r) => r.query)).toEqual([
      { labelSelector: 'eks.amazonaws.com/nodegroup=workers', limit: '500' },
      { limit: '500' },
    ]);
  });

  it('does not count a labelled Node that names another instance as the requested one joining', async () => {
    stub.setNodes([stubNode('i-0ccc0000000000009')]);
    const requested = 'i-0aaa0000000000001';

    const membership = await reader().listNodes(cluster(), 'workers', [requested]);

    // The labelled Node comes back with the instance it names; the caller matches by that id.
    expect(instanceIdsOf(membership)).toEqual(['i-0ccc0000000000009']);
    const [verdict] = judgeInstances(
      [instance({ instanceId: requested, launchedAt: '2026-01-01T00:00:00.000Z' })],
      membership,
      new Date('2026-01-01T01:00:00.000Z'),
      600,
    );
    expect(verdict).toMatchObject({ instanceId: requested, joined: false, pending: false });
    expect(wholeListReads()).toHaveLength(1);
  });

  it('reads no whole list when every instance has a labelled Node', async () => {
    stub.setNodes([stubNode('i-0aaa0000000000001'), stubNode('i-0aaa0000000000002')]);
    const session = reader().session();

    const membership = await session.listNodes(cluster(), 'workers', [
      'i-0aaa0000000000001',
      'i-0aaa0000000000002',
    ]);

    expect(instanceIdsOf(membership)).toEqual(['i-0aaa0000000000001', 'i-0aaa0000000000002']);
    expect(stub.nodeListRequests()).toHaveLength(1);
    expect(wholeListReads()).toHaveLength(0);
  });

  it('reads the whole list once per cluster in a session, again in a new session and when asked fresh', async () => {
    stub.setNodes([unlabelledNode('i-0aaa0000000000001'), unlabelledNode('i-0bbb0000000000001', 'system')]);
    const shared = reader();
    const first = shared.session();

    const [workers, system] = await Promise.all([
      first.listNodes(cluster(), 'workers', ['i-0aaa0000000000001']),
      first.listNodes(cluster(), 'system', ['i-0bbb0000000000001']),
    ]);
    await first.listNodes(cluster(), 'workers', ['i-0aaa0000000000001']);

    expect(instanceIdsOf(workers)).toEqual(['i-0aaa0000000000001']);
    expect(instanceIdsOf(system)).toEqual(['i-0bbb0000000000001']);
    expect(wholeListReads()).toHaveLength(1);

    // A node that registers after the session read its list is only seen by a fresh read.
    stub.addNode(unlabelledNode('i-0aaa0000000000002'));
    expect(instanceIdsOf(await first.listNodes(cluster(), 'workers', ['i-0aaa0000000000002']))).toEqual([]);
    expect(wholeListReads()).toHaveLength(1);
    const fresh = await first.listNodes(cluster(), 'workers', ['i-0aaa0000000000002'], { fresh: true });
    expect(instanceIdsOf(fresh)).toEqual(['i-0aaa0000000000002']);
    expect(wholeListReads()).toHaveLength(2);

    await shared.session().listNodes(cluster(), 'workers', ['i-0aaa0000000000001']);
    expect(wholeListReads()).toHaveLength(3);
    // Every read shared one token: the sessions use the reader's.
    expect(new Set(stub.requests.map((r) => r.authorization)).size).toBe(1);
  });

  it('keeps the whole lists of different clusters apart in one session', async () => {
    await stub.close();
    stub = await startKubernetesStub(); // admits a token for any cluster
    stub.setNodes([unlabelledNode('i-0aaa0000000000001')]);
    const session = reader().session();

    await session.listNodes(cluster(), 'workers', ['i-0aaa0000000000001']);
    await session.listNodes(cluster({ name: 'staging' }), 'workers', ['i-0aaa0000000000001']);
    await session.listNodes(cluster({ name: 'staging' }), 'workers', ['i-0aaa0000000000001']);

    expect(wholeListReads()).toHaveLength(2);
  });

  it('keeps no whole list between calls on the reader itself', async () => {
    stub.setNodes([unlabelledNode('i-0aaa0000000000001')]);
    const shared = reader();

    await shared.listNodes(cluster(), 'workers', ['i-0aaa0000000000001']);
    await shared.listNodes(cluster(), 'workers', ['i-0aaa0000000000001']);

    expect(wholeListReads()).toHaveLength(2);
  });

  it('pages through both the labelled and the whole list', async () => {
    stub.setNodes([
      ...[1, 2, 3].map((n) => stubNode(`i-0aaa000000000000${n}`)),
      ...[4, 5, 6].map((n) => unlabelledNode(`i-0aaa000000000000${n}`)),
      ...[1, 2].map((n) => stubNode(`i-0bbb000000000000${n}`, 'system')),
    ]);
    const wanted = [1, 2, 3, 4, 5, 6].map((n) => `i-0aaa000000000000${n}`);

    const membership = await reader({ pageSize: 2 }).listNodes(cluster(), 'workers', wanted);

    expect(instanceIdsOf(membership)).toEqual(wanted);
    expect(
      stub.nodeListRequests().map((r) => [r.query.labelSelector ?? 'whole', r.query.continue !== undefined]),
    ).toEqual([
      ['eks.amazonaws.com/nodegroup=workers', false],
      ['eks.amazonaws.com/nodegroup=workers', true],
      ['whole', false],
      ['whole', true],
      ['whole', true],
      ['whole', true],
    ]);
  });

  it('reads the labelled list only when no instance ids are given', async () => {
    stub.setNodes([unlabelledNode('i-0aaa0000000000001')]);

    expect(await reader().listNodes(cluster(), 'workers', [])).toEqual({ kind: 'known', nodes: [] });
    expect(stub.nodeListRequests()).toHaveLength(1);
  });
});

describe('KubernetesNodeReader when the whole node list cannot be read', () => {
  const labelledEmpty = (query: URLSearchParams) =>
    query.has('labelSelector') ? { status: 200, body: nodeList([]) } : undefined;

  it.each([
    [
      'a server error',
      { status: 500, body: { kind: 'Status', message: 'etcdserver: request timed out', code: 500 } },
      {
        reason: 'unreachable',
        status: 500,
        detail: 'whole node list: HTTP 500: etcdserver: request timed out',
      },
    ],
    [
      'a refusal',
      { status: 403, body: { kind: 'Status', message: 'nodes is forbidden', code: 403 } },
      { reason: 'forbidden', status: 403, detail: 'whole node list: nodes is forbidden' },
    ],
    [
      'a malformed list',
      { status: 200, body: '<html>502 Bad Gateway</html>' },
      {
        reason: 'unreachable',
        detail: expect.stringMatching(/^whole node list: malformed NodeList response/),
      },
    ],
  ])('answers unknown for %s, and the session asks again next time', async (_what, failure, expected) => {
    let failing = true;
    const server = await startScriptedServer((query) => {
      const labelled = labelledEmpty(query);
      if (labelled) return labelled;
      return failing
        ? failure
        : { status: 200, body: nodeList([{ name: 'n1', instanceId: 'i-0aaa0000000000001' }]) };
    });
    try {
      const session = new KubernetesNodeReader({ credentials, apiUrlOverride: server.url }).session();

      const membership = await session.listNodes(cluster(), 'workers', ['i-0aaa0000000000001']);
      expect(membership).toEqual({ kind: 'unknown', endpoint: server.url, ...expected });

      failing = false;
      const again = await session.listNodes(cluster(), 'workers', ['i-0aaa0000000000001']);
      expect(instanceIdsOf(again)).toEqual(['i-0aaa0000000000001']);
      expect(server.queries.filter((q) => !q.has('labelSelector'))).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it.each([
    ['the labelled list', true],
    ['the whole list', false],
  ])('stops with unknown when the API server repeats its continue token in %s', async (_what, inLabelled) => {
    const server = await startScriptedServer((query, count) => {
      if (query.has('labelSelector') !== inLabelled) return { status: 200, body: nodeList([]) };
      return {
        status: 200,
        body: nodeList([{ name: `n${count}`, instanceId: 'i-0ccc0000000000001' }], 'same'),
      };
    });
    try {
      const membership = await new KubernetesNodeReader({
        credentials,
        apiUrlOverride: server.url,
      }).listNodes(cluster(), 'workers', ['i-0aaa0000000000001']);

      expect(membership).toMatchObject({ kind: 'unknown', reason: 'unreachable' });
      expect(membership.kind === 'unknown' && membership.detail).toMatch(
        /the API server repeated its continue token after 2 pages/,
      );
      expect(server.queries.filter((q) => q.has('labelSelector') === inLabelled)).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('gives up after maxPages pages of a list that never ends', async () => {
    const server = await startScriptedServer((query, count) =>
      query.has('labelSelector')
        ? { status: 200, body: nodeList([]) }
        : { status: 200, body: nodeList([], `token-${count}`) },
    );
    try {
      const membership = await new KubernetesNodeReader({
        credentials,
        apiUrlOverride: server.url,
        maxPages: 5,
      }).listNodes(cluster(), 'workers', ['i-0aaa0000000000001']);

      expect(membership).toMatchObject({
        kind: 'unknown',
        reason: 'unreachable',
        detail:
          'whole node list: gave up after 5 pages of the node list: the API server kept returning continue tokens',
      });
      expect(server.queries.filter((q) => !q.has('labelSelector'))).toHaveLength(5);
    } finally {
      await server.close();
    }
  });
});
