/**
 * The bearer token EKS accepts for an IAM identity, as `aws eks get-token` and aws-iam-authenticator
 * make it: a presigned STS GetCallerIdentity URL, base64url-encoded behind a version prefix. The API
 * server forwards the URL to STS to learn who signed it; the signed `x-k8s-aws-id` header binds the
 * token to one cluster so it cannot be replayed against another.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpRequest } from '@smithy/types';

const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/**
 * STS ignores X-Amz-Expires and honours a presigned GetCallerIdentity URL for 15 minutes after its
 * X-Amz-Date; 60 is what aws-iam-authenticator sends because older servers reject anything above it.
 */
const PRESIGN_EXPIRES_SECONDS = 60;

export interface EksTokenInput {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Signing time; defaults to now. */
  now?: Date;
}

export async function createEksToken({
  clusterName,
  region,
  credentials,
  now,
}: EksTokenInput): Promise<string> {
  const hostname = stsHostname(region);
  const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: Sha256 });
  const request: HttpRequest = {
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: hostname, [CLUSTER_ID_HEADER]: clusterName },
  };
  const presigned = await signer.presign(request, {
    expiresIn: PRESIGN_EXPIRES_SECONDS,
    ...(now && { signingDate: now }),
  });
  return EKS_TOKEN_PREFIX + Buffer.from(presignedUrl(presigned)).toString('base64url');
}

/** The regional STS endpoint; China regions live under their own domain. */
function stsHostname(region: string): string {
  return `sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** Query keys sorted as aws-iam-authenticator emits them; values escaped per RFC 3986 like SigV4 does. */
function presignedUrl({ protocol, hostname, path, query = {} }: HttpRequest): string {
  const pairs = Object.keys(query)
    .sort()
    .map((key) => `${escapeUri(key)}=${escapeUri(String(query[key]))}`);
  return `${protocol}//${hostname}${path}?${pairs.join('&')}`;
}

function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
