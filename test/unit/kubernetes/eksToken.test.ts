import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEksToken } from '../../../functions/kubernetes/eksToken.js';

const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const sessionCredentials = {
  ...credentials,
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  sessionToken: 'FwoGZXIv//+session=',
};
const now = new Date('2025-03-04T05:06:07Z');

function decode(token: string): URL {
  return new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
}

/**
 * SigV4 for a presigned GET, written out from the AWS specification with node:crypto, so the token
 * is checked against the algorithm rather than against the library that made it.
 */
function expectedSignature(url: URL, clusterName: string, secretAccessKey: string): string {
  const escapeUri = (value: string) =>
    encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = [...url.searchParams]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => `${escapeUri(key)}=${escapeUri(value)}`)
    .sort()
    .join('&');
  const canonicalRequest = [
    'GET',
    '/',
    query,
    `host:${url.host}`,
    `x-k8s-aws-id:${clusterName}`,
    '',
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const [, day, region, service] = (url.searchParams.get('X-Amz-Credential') ?? '').split('/') as string[];
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    url.searchParams.get('X-Amz-Date'),
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${secretAccessKey}`, day ?? ''), region ?? ''), service ?? ''),
    'aws4_request',
  );
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

describe('createEksToken', () => {
  it('is k8s-aws-v1. followed by unpadded base64url', async () => {
    const token = await createEksToken({ clusterName: 'prod', region: 'us-west-2', credentials, now });

    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token.slice('k8s-aws-v1.'.length)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('decodes to a GetCallerIdentity URL on the regional STS endpoint, presigned for 60 seconds', async () => {
    const url = decode(await createEksToken({ clusterName: 'prod', region: 'us-west-2', credentials, now }));

    expect(`${url.origin}${url.pathname}`).toBe('https://sts.us-west-2.amazonaws.com/');
    expect(url.search).toMatch(/^\?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-/);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE/20250304/us-west-2/sts/aws4_request',
      'X-Amz-Date': '20250304T050607Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('signs the cluster name in x-k8s-aws-id with a valid SigV4 signature', async () => {
    const url = decode(await createEksToken({ clusterName: 'prod', region: 'us-west-2', credentials, now }));

    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(url, 'prod', credentials.secretAccessKey),
    );
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(
      expectedSignature(url, 'staging', credentials.secretAccessKey),
    );
  });

  it('carries the session token of temporary credentials, signed', async () => {
    const url = decode(
      await createEksToken({
        clusterName: 'prod',
        region: 'eu-central-1',
        credentials: sessionCredentials,
        now,
      }),
    );

    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('FwoGZXIv//+session=');
    expect(url.search).toContain('X-Amz-Security-Token=FwoGZXIv%2F%2F%2Bsession%3D');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(url, 'prod', sessionCredentials.secretAccessKey),
    );
  });

  it('has no session token for long-term credentials', async () => {
    const url = decode(await createEksToken({ clusterName: 'prod', region: 'us-west-2', credentials, now }));

    expect(url.searchParams.has('X-Amz-Security-Token')).toBe(false);
  });

  it('takes the credentials from a provider', async () => {
    const fromProvider = await createEksToken({
      clusterName: 'prod',
      region: 'us-west-2',
      credentials: async () => sessionCredentials,
      now,
    });
    const fromIdentity = await createEksToken({
      clusterName: 'prod',
      region: 'us-west-2',
      credentials: sessionCredentials,
      now,
    });

    expect(fromProvider).toBe(fromIdentity);
  });

  it('uses the China STS domain in China regions', async () => {
    const url = decode(await createEksToken({ clusterName: 'prod', region: 'cn-north-1', credentials, now }));

    expect(url.host).toBe('sts.cn-north-1.amazonaws.com.cn');
  });

  it('signs at the current time by default', async () => {
    const before = Date.now();
    const url = decode(await createEksToken({ clusterName: 'prod', region: 'us-west-2', credentials }));
    const date = url.searchParams.get('X-Amz-Date') ?? '';
    const signedAt = Date.parse(
      date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );

    expect(signedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(signedAt).toBeLessThanOrEqual(Date.now());
  });
});
