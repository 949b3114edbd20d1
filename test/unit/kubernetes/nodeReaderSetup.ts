/** Setup shared by the KubernetesNodeReader tests: the cluster the stub plays, and a one-answer server. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach } from 'vitest';
import type { Cluster } from '../../../functions/core/model/types.js';
import {
  type KubernetesStub,
  STUB_CREDENTIALS,
  type StubNode,
  startKubernetesStub,
} from '../../support/kubernetesStub.js';

export const credentials = async () => STUB_CREDENTIALS;

/** The cluster `startKubernetesStub({ clusterName: 'prod' })` plays; its tokens are signed for it. */
export function cluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    name: 'prod',
    region: 'us-west-2',
    endpoint: 'https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com',
    endpointPublicAccess: true,
    endpointPrivateAccess: true,
    publicAccessCidrs: ['0.0.0.0/0'],
    tags: {},
    ...overrides,
  };
}

/**
 * A stub playing `cluster()`, started before each test of the calling describe and set up by `seed`, closed
 * after it; the returned function gives the current test's stub.
 */
export function stubPerTest(seed: (stub: KubernetesStub) => void = () => {}): () => KubernetesStub {
  let stub: KubernetesStub | undefined;
  beforeEach(async () => {
    stub = await startKubernetesStub({ clusterName: 'prod' });
    seed(stub);
  });
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });
  return () => {
    if (stub === undefined) throw new Error('the stub runs only during a test');
    return stub;
  };
}

/** Two workers (the first ready, with a known IP; the second not ready) and a system node. */
export const WORKERS_AND_SYSTEM: StubNode[] = [
  {
    instanceId: 'i-0aaa0000000000001',
    availabilityZone: 'us-west-2a',
    nodegroup: 'workers',
    privateIp: '10.42.1.23',
  },
  { instanceId: 'i-0aaa0000000000002', availabilityZone: 'us-west-2b', nodegroup: 'workers', ready: false },
  { instanceId: 'i-0bbb0000000000003', availabilityZone: 'us-west-2a', nodegroup: 'system' },
];

/**
 * A server that answers every request with one fixed response, or never when `status` is undefined.
 * Closed at once, its URL is a port nobody listens on.
 */
export async function startFixedServer(
  status?: number,
  body = '',
  contentType = 'application/json',
): Promise<{ url: string; close(): Promise<void> }> {
  return listen(
    http.createServer((_req, res) => {
      if (status === undefined) return;
      res.writeHead(status, { 'content-type': contentType });
      res.end(body);
    }),
  );
}

/** Starts `server` on a free local port; `close` drops the connections still open, then stops it. */
export async function listen(server: http.Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
