import { describe, expect, it } from 'vitest';
import {
  type ConfigMapRead,
  KubernetesNodeReader,
} from '../../../functions/kubernetes/KubernetesNodeReader.js';
import { awsAuthMapRoles } from '../../support/kubernetesStub.js';
import { cluster, credentials, startFixedServer, stubPerTest } from './nodeReaderSetup.js';

const NODE_ROLE = 'arn:aws:iam::123456789012:role/eks-workshop-node-role';

/** kube-system/aws-auth as read from a server that answers every request with `status` and `body`. */
async function awsAuthAnsweredWith(
  status: number,
  body: string,
  contentType?: string,
): Promise<ConfigMapRead> {
  const server = await startFixedServer(status, body, contentType);
  try {
    const reader = new KubernetesNodeReader({ credentials, apiUrlOverride: server.url });
    return await reader.readConfigMap(cluster(), 'kube-system', 'aws-auth');
  } finally {
    await server.close();
  }
}

describe('KubernetesNodeReader.readConfigMap against the stub', () => {
  const stub = stubPerTest();
  const reader = () => new KubernetesNodeReader({ credentials, apiUrlOverride: stub().url });

  it('returns the data of kube-system/aws-auth, signed for the cluster', async () => {
    stub().setConfigMap('kube-system', 'aws-auth', { mapRoles: awsAuthMapRoles([NODE_ROLE]) });
    const read = await reader().readConfigMap(cluster(), 'kube-system', 'aws-auth');
    expect(read).toEqual({ kind: 'found', data: { mapRoles: awsAuthMapRoles([NODE_ROLE]) } });
    const request = stub().requests.at(-1);
    expect(request?.path).toBe('/api/v1/namespaces/kube-system/configmaps/aws-auth');
    expect(request?.tokenRejected).toBeUndefined();
  });

  it('answers absent for a 404 from the API server', async () => {
    expect(await reader().readConfigMap(cluster(), 'kube-system', 'aws-auth')).toEqual({ kind: 'absent' });
    stub().setConfigMap('kube-system', 'aws-auth', { mapRoles: '' });
    stub().setConfigMap('kube-system', 'aws-auth', undefined);
    expect(await reader().readConfigMap(cluster(), 'kube-system', 'aws-auth')).toEqual({ kind: 'absent' });
  });

  it('answers unknown for 403 (no Role for the ConfigMap) while nodes stay readable', async () => {
    stub().setConfigMap('kube-system', 'aws-auth', { mapRoles: '' });
    stub().setConfigMapAccess('forbidden');
    const read = await reader().readConfigMap(cluster(), 'kube-system', 'aws-auth');
    expect(read).toMatchObject({ kind: 'unknown', status: 403 });
    expect(read.kind === 'unknown' && read.detail).toContain('cannot get resource "configmaps"');
    expect((await reader().listNodes(cluster(), 'ng', [])).kind).toBe('known');
  });

  it('answers unknown for 401 (token for another cluster) and for 500', async () => {
    stub().setConfigMap('kube-system', 'aws-auth', { mapRoles: '' });
    expect(await reader().readConfigMap(cluster({ name: 'other' }), 'kube-system', 'aws-auth')).toMatchObject(
      {
        kind: 'unknown',
        status: 401,
      },
    );
    stub().setMode('error');
    expect(await reader().readConfigMap(cluster(), 'kube-system', 'aws-auth')).toMatchObject({
      kind: 'unknown',
      status: 500,
    });
  });
});

describe('KubernetesNodeReader.readConfigMap without a usable server', () => {
  it('answers unknown when the API server is unreachable', async () => {
    const gone = await startFixedServer();
    await gone.close();
    const reader = new KubernetesNodeReader({ credentials, apiUrlOverride: gone.url });
    const read = await reader.readConfigMap(cluster(), 'kube-system', 'aws-auth');
    expect(read).toMatchObject({ kind: 'unknown' });
    expect(read.kind === 'unknown' && read.detail).toContain('ECONNREFUSED');
  });

  it('answers unknown (not absent) for a bare 404 that is not from an API server', async () => {
    expect(await awsAuthAnsweredWith(404, '<html>not here</html>', 'text/html')).toMatchObject({
      kind: 'unknown',
      status: 404,
    });
  });

  it('answers unknown for a 404 Status that does not name the ConfigMap (a wrong URL prefix)', async () => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    };
    expect(await awsAuthAnsweredWith(404, JSON.stringify(status))).toMatchObject({
      kind: 'unknown',
      status: 404,
    });
  });

  it('answers unknown, without throwing, when no token can be signed', async () => {
    const reader = new KubernetesNodeReader({
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
      apiUrlOverride: 'http://127.0.0.1:9',
    });
    const read = await reader.readConfigMap(cluster(), 'kube-system', 'aws-auth');
    expect(read).toMatchObject({ kind: 'unknown' });
    expect(read.kind === 'unknown' && read.detail).toContain('Could not sign an EKS token');
  });

  it('answers unknown for a cluster without an endpoint or with a non-https one', async () => {
    const reader = new KubernetesNodeReader({ credentials });
    expect(
      await reader.readConfigMap(cluster({ endpoint: undefined }), 'kube-system', 'aws-auth'),
    ).toMatchObject({
      kind: 'unknown',
    });
    expect(
      await reader.readConfigMap(cluster({ endpoint: 'http://example.invalid' }), 'kube-system', 'aws-auth'),
    ).toMatchObject({ kind: 'unknown' });
  });
});
