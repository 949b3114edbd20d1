import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { harnessClientConfig } from './motoServer.js';

export const STATE_TABLE = 'eks-join-remediator-state';

/** The state table as the stack creates it: pk/sk strings, on demand, TTL on expiresAt. */
export async function createStateTable(endpoint: string, tableName = STATE_TABLE): Promise<string> {
  const client = new DynamoDBClient(harnessClientConfig(endpoint));
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
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
