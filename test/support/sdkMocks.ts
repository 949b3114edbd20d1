import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, vi } from 'vitest';

/** The SDK clients the function builds (functions/aws/clients.ts), by the name the tests give their stubs. */
const SDK_CLIENTS = {
  eks: EKSClient,
  ec2: EC2Client,
  autoScaling: AutoScalingClient,
  sns: SNSClient,
  sqs: SQSClient,
  sts: STSClient,
  iam: IAMClient,
  dynamodb: DynamoDBClient,
};

export type SdkClientName = keyof typeof SDK_CLIENTS;

/** The aws-sdk-client-mock stubs of the named clients. */
export type SdkMocks<N extends SdkClientName> = {
  [K in N]: AwsClientStub<InstanceType<(typeof SDK_CLIENTS)[K]>>;
};

/**
 * Answers every `send` of the named SDK clients with aws-sdk-client-mock (an unconfigured command resolves
 * `undefined`), and resets each stub before every test of the calling file, before that file's own
 * `beforeEach` hooks set up their answers.
 */
export function mockSdkClients<N extends SdkClientName>(...names: N[]): SdkMocks<N> {
  const mocks = Object.fromEntries(
    names.map((name) => [name, mockClient(SDK_CLIENTS[name] as Parameters<typeof mockClient>[0])]),
  );
  beforeEach(() => {
    for (const mock of Object.values(mocks)) mock.reset();
  });
  return mocks as SdkMocks<N>;
}

/**
 * What the Lambda runtime puts in the environment, with fake keys: the region and a session's credentials,
 * stubbed for the whole calling file and taken back after it. For tests that build the clients the way the
 * handler does, from the environment.
 */
export function stubLambdaEnvironment(extra: () => Record<string, string> = () => ({})): void {
  beforeAll(() => {
    const variables = {
      AWS_REGION: 'us-west-2',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      ...extra(),
    };
    for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });
}
