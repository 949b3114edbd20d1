/**
 * DynamoDbStateStore against a real DynamoDB API (moto_server): the same behaviour suite as the
 * in-memory store, so the conditional writes are exercised for real, plus the table layout.
 */
import { DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCallError } from '../../functions/core/model/errors.js';
import { DynamoDbStateStore } from '../../functions/state/DynamoDbStateStore.js';
import { type MotoServer, startMotoServer, toolClientConfig } from '../support/motoServer.js';
import { fakeClock, stateStoreContract } from '../support/stateStoreContract.js';
import { createStateTable, STATE_TABLE } from '../support/stateTable.js';

const TABLE = STATE_TABLE;

describe('DynamoDbStateStore on moto', () => {
  let server: MotoServer;
  let client: DynamoDBClient;

  beforeAll(async () => {
    server = await startMotoServer();
    // Configured like the tool's own clients: from the environment moto hands out, no harness tag.
    client = new DynamoDBClient({ ...toolClientConfig(server.env), maxAttempts: 2 });
    // The table as the stack creates it (pk/sk, TTL on expiresAt), built by the harness.
    await createStateTable(server.endpoint, TABLE);
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  describe('behaves as a StateStore', () => {
    stateStoreContract((clock) => new DynamoDbStateStore({ client, tableName: TABLE, clock }));
  });

  it('the table expires items through the expiresAt attribute', async () => {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));

    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('writes the documented items: lock, remediation and alert with their TTL', async () => {
    const clock = fakeClock('2026-11-26T10:00:00.000Z');
    const store = new DynamoDbStateStore({ client, tableName: TABLE, clock });
    const pk = { S: 'nodegroup#layout-cluster#ng-1' };
    const at = '2026-11-26T10:00:00.000Z';
    const epoch = Date.parse(at) / 1000;

    await store.acquireLock('layout-cluster', 'ng-1', 'invocation-a', 300);
    await store.putRemediation({
      cluster: 'layout-cluster',
      nodegroup: 'ng-1',
      at,
      status: 'open',
      actions: [{ type: 'notify', resourceId: 'ng-1', status: 'done', reason: 'test' }],
      replacedInstanceIds: ['i-0a1b2c3d4e5f60718'],
    });
    await store.claimAlert('layout-cluster', 'ng-1', 'NO_DEFAULT_ROUTE:rtb-1', new Date(at), 3600);

    const get = async (sk: string) =>
      (
        await client.send(
          new GetItemCommand({ TableName: TABLE, Key: { pk, sk: { S: sk } }, ConsistentRead: true }),
        )
      ).Item;
    expect(await get('lock')).toEqual({
      pk,
      sk: { S: 'lock' },
      owner: { S: 'invocation-a' },
      expiresAt: { N: String(epoch + 300) },
    });
    expect(await get(`remediation#${at}`)).toEqual({
      pk,
      sk: { S: `remediation#${at}` },
      cluster: { S: 'layout-cluster' },
      nodegroup: { S: 'ng-1' },
      at: { S: at },
      status: { S: 'open' },
      actions: {
        S: JSON.stringify([{ type: 'notify', resourceId: 'ng-1', status: 'done', reason: 'test' }]),
      },
      replacedInstanceIds: { L: [{ S: 'i-0a1b2c3d4e5f60718' }] },
      expiresAt: { N: String(epoch + 7 * 24 * 3600) },
    });
    const alert = await get('alert#NO_DEFAULT_ROUTE:rtb-1');
    expect(alert?.sentAt).toEqual({ N: String(Date.parse(at)) });
    expect(Number(alert?.expiresAt?.N)).toBeGreaterThanOrEqual(epoch + 3600);
  });

  it('a missing table is an AwsCallError naming the DynamoDB action', async () => {
    const store = new DynamoDbStateStore({ client, tableName: 'no-such-table' });

    const error = await store.acquireLock('c', 'n', 'o', 60).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'dynamodb:PutItem', errorName: 'ResourceNotFoundException' });
  });
});
