import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { Memo } from '../Memo.js';

export interface AwsClients {
  eks: EKSClient;
  ec2: EC2Client;
  autoScaling: AutoScalingClient;
  sns: SNSClient;
  dynamodb: DynamoDBClient;
  /**
   * IAM is global, but built with the same region as the others on purpose: the SDK's endpoint rules
   * send any region of a partition to that partition's IAM endpoint (us-west-2 -> iam.amazonaws.com
   * signed for us-east-1, cn-northwest-1 -> iam.cn-north-1.amazonaws.com.cn, us-gov-west-1 ->
   * iam.us-gov.amazonaws.com), so a cluster in China or GovCloud reads its own partition's IAM.
   */
  iam: IAMClient;
  /** Who changed a resource (LookupEvents). */
  cloudTrail: CloudTrailClient;
  /** The state and policy of a launch template's volume key. */
  kms: KMSClient;
}

/** Retries with client-side rate limiting: a burst of checks backs off instead of failing on throttling. */
const CLIENT_CONFIG = { maxAttempts: 6, retryMode: 'adaptive' } as const;

const byRegion = new Memo<AwsClients>();

/**
 * One set of clients per region for the life of the process (or Lambda container): connections and
 * credentials are reused across invocations. Region undefined: the SDK's own resolution (AWS_REGION,
 * profile). AWS_ENDPOINT_URL is honoured by the SDK itself.
 */
export function awsClients(region?: string): AwsClients {
  return byRegion.get(region ?? '', () => createAwsClients({ ...CLIENT_CONFIG, ...(region && { region }) }));
}

/** Clients with one shared configuration: awsClients' defaults, or a test's (endpoint, credentials). */
export function createAwsClients(config: ClientConfig): AwsClients {
  return {
    eks: new EKSClient(config),
    ec2: new EC2Client(config),
    autoScaling: new AutoScalingClient(config),
    sns: new SNSClient(config),
    dynamodb: new DynamoDBClient(config),
    iam: new IAMClient(config),
    // Evidence only, paced by its own limiter: one retry, so a failing lookup does not hold up an alert.
    cloudTrail: new CloudTrailClient({ ...config, maxAttempts: Math.min(config.maxAttempts ?? 3, 2) }),
    kms: new KMSClient(config),
  };
}

/** The settings every client here shares. */
export interface ClientConfig {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  maxAttempts?: number;
  retryMode?: 'standard' | 'adaptive';
}
