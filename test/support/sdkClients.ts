import { type AwsClients, type ClientConfig, createAwsClients } from '../../functions/aws/clients.js';

/** Clients for tests whose SDK calls are answered by aws-sdk-client-mock: a region, fake keys, one attempt. */
export function mockedClients(overrides: ClientConfig = {}): AwsClients {
  return createAwsClients({
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    maxAttempts: 1,
    ...overrides,
  });
}
