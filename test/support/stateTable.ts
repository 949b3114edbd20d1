import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { harnessClientConfig } from './motoServer.js';

export const STATE_TABLE = 'eks-join-remediator-state';

/** The keys DynamoDbStateStore reads and writes: a string partition key pk and a string sort key sk. */
export const STATE_TABLE_KEYS = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
} satisfies Pick<CreateTableCommandInput, 'KeySchema' | 'AttributeDefinitions'>;

/** The state table as the stack creates it: pk/sk strings, on demand, TTL on expiresAt. */
export async function createStateTable(endpoint: string, tableName = STATE_TABLE): Promise<string> {
  const client = new DynamoDBClient(harnessClientConfig(endpoint));
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      ...STATE_TABLE_KEYS,
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }),
  );
  return tableName;
}
