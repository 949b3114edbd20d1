import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../../functions/core/model/types.js';
import { KubernetesNodeReader } from '../../../functions/kubernetes/KubernetesNodeReader.js';
import { type KubernetesStub, STUB_CREDENTIALS, startKubernetesStub } from '../../support/kubernetesStub.js';

interface Pki {
  /** Base64 PEM, as DescribeCluster returns certificateAuthority.data. */
  clusterCa: string;
  otherCa: string;
  serverKey: string;
  serverCert: string;
}

/**
 * Like an EKS control plane: a cluster CA that signs the API server certificate (valid for
 * 127.0.0.1), plus an unrelated CA to play the wrong one. Throwaway, made with openssl per run.
 */
function makePki(dir: string): Pki {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=kubernetes',
    '-days',
    '1',
  );
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'other.key',
    '-out',
    'other.crt',
    '-subj',
    '/CN=kubernetes',
    '-days',
    '1',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'server.ext',
  );
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return {
    clusterCa: Buffer.from(read('ca.crt')).toString('base64'),
    otherCa: Buffer.from(read('other.crt')).toString('base64'),
    serverKey: read('server.key'),
    serverCert: read('server.crt'),
  };
}

describe('KubernetesNodeReader over TLS', () => {
  let dir: string;
  let pki: Pki;
  let stub: KubernetesStub;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eks-join-remediator-pki-'));
    pki = makePki(dir);
    stub = await startKubernetesStub({
      clusterName: 'prod',
      tls: { key: pki.serverKey, cert: pki.serverCert },
    });
    stub.addNode({ instanceId: 'i-0aaa0000000000001', availabilityZone: 'us-west-2a', nodegroup: 'workers' });
  });
  afterAll(async () => {
    await stub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cluster = (certificateAuthority?: string): Cluster => ({
    name: 'prod',
    region: 'us-west-2',
    endpoint: stub.url,
    ...(certificateAuthority && { certificateAuthority }),
    endpointPublicAccess: true,
    endpointPrivateAccess: false,
    publicAccessCidrs: ['0.0.0.0/0'],
    tags: {},
  });
  const reader = () => new KubernetesNodeReader({ credentials: async () => STUB_CREDENTIALS });

  it('trusts the API server through the cluster CA from DescribeCluster', async () => {
    const membership = await reader().listNodes(cluster(pki.clusterCa), 'workers', ['i-0aaa0000000000001']);

    expect(stub.url.startsWith('https://')).toBe(true);
    expect(membership).toMatchObject({ kind: 'known', nodes: [{ instanceId: 'i-0aaa0000000000001' }] });
  });

  it('reports a certificate from another CA as unreachable with the TLS error code', async () => {
    const membership = await reader().listNodes(cluster(pki.otherCa), 'workers', ['i-0aaa0000000000001']);

    expect(membership).toMatchObject({ kind: 'unknown', reason: 'unreachable', endpoint: stub.url });
    expect(membership.kind === 'unknown' && membership.detail).toMatch(/^TLS [A-Z_]+: .*certificate/);
  });

  it('verifies the host name: a certificate for another name fails even from the cluster CA', async () => {
    const byName = { ...cluster(pki.clusterCa), endpoint: stub.url.replace('127.0.0.1', 'localhost') };

    const membership = await reader().listNodes(byName, 'workers', ['i-0aaa0000000000001']);

    expect(membership).toMatchObject({ kind: 'unknown', reason: 'unreachable' });
    expect(membership.kind === 'unknown' && membership.detail).toMatch(/^TLS ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('does not fall back to trusting the server when the cluster has no CA', async () => {
    const membership = await reader().listNodes(cluster(), 'workers', ['i-0aaa0000000000001']);

    expect(membership).toMatchObject({ kind: 'unknown', reason: 'unreachable' });
    expect(membership.kind === 'unknown' && membership.detail).toMatch(/^TLS /);
  });
});
