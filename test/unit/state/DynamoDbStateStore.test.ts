/**
 * The DynamoDB requests themselves (keys, conditions, pagination) and error mapping. The behaviour
 * against a real DynamoDB API is in test/integration/stateStore.test.ts.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsCallError } from '../../../functions/core/model/errors.js';
import type { RemediationRecord } from '../../../functions/core/model/types.js';
import { DynamoDbStateStore } from '../../../functions/state/DynamoDbStateStore.js';
import { serviceError } from '../../support/sdkErrors.js';
import { fakeClock } from '../../support/stateStoreContract.js';

const ddb = mockClient(DynamoDBClient);

const TABLE = 'eks-join-remediator-state';
const PK = 'nodegroup#eks-workshop#new_nodegroup_2';
const NOW = '2026-11-26T10:00:00.000Z';
const NOW_SECONDS = Date.parse(NOW) / 1000;

function store(): DynamoDbStateStore {
  return new DynamoDbStateStore({
    client: new DynamoDBClient({
      region: 'us-west-2',
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
    }),
    tableName: TABLE,
    clock: fakeClock(NOW),
  });
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
  });
}

const ddbError = (name: string, message: string) => serviceError(DynamoDBServiceException, name, message);

const record: RemediationRecord = {
  cluster: 'eks-workshop',
  nodegroup: 'new_nodegroup_2',
  at: '2026-11-26T09:30:00.000Z',
  status: 'open',
  actions: [{ type: 'notify', resourceId: 'new_nodegroup_2', status: 'done', reason: 'fixed' }],
  replacedInstanceIds: ['i-0a1b2c3d4e5f60718'],
};

/** A record with every optional field: what the executor writes while it works. */
const fullRecord: RemediationRecord = {
  ...record,
  at: '2026-11-26T09:40:00.000Z',
  status: 'failed',
  progress: 'writing',
  alerted: false,
  actions: [
    {
      type: 'create-route',
      resourceId: 'rtb-1',
      target: 'nat-1',
      status: 'failed',
      reason: 'denied',
      reasonCode: 'ACCESS_DENIED',
      routeTableId: 'rtb-1',
      destination: '0.0.0.0/0',
      subnetIds: ['subnet-1'],
      natGatewayId: 'nat-1',
      before: '(none)',
    },
  ],
  before: {
    routes: [
      {
        routeTableId: 'rtb-1',
        route: {
          destination: '0.0.0.0/0',
          target: { kind: 'nat-gateway', id: 'nat-0old' },
          state: 'blackhole',
        },
      },
      { routeTableId: 'rtb-2' },
    ],
    desiredSize: 2,
  },
};

function recordItem(r: RemediationRecord) {
  return {
    pk: { S: PK },
    sk: { S: `remediation#${r.at}` },
    cluster: { S: r.cluster },
    nodegroup: { S: r.nodegroup },
    at: { S: r.at },
    status: { S: r.status },
    actions: { S: JSON.stringify(r.actions) },
    replacedInstanceIds: { L: r.replacedInstanceIds.map((S) => ({ S })) },
    expiresAt: { N: String(Date.parse(r.at) / 1000 + 7 * 24 * 3600) },
  };
}

beforeEach(() => {
  ddb.reset();
});

/** Puts `put` through the store; the input of the one PutItem that sent. */
async function putInputFor(put: RemediationRecord) {
  ddb.on(PutItemCommand).resolves({});
  await store().putRemediation(put);
  expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
  return ddb.commandCalls(PutItemCommand)[0]?.args[0].input;
}

describe('acquireLock', () => {
  it("is one conditional put: absent, expired, or already this owner's", async () => {
    ddb.on(PutItemCommand).resolves({});

    expect(await store().acquireLock('eks-workshop', 'new_nodegroup_2', 'req-1', 300)).toBe(true);

    expect(ddb).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: TABLE,
      Item: {
        pk: { S: PK },
        sk: { S: 'lock' },
        owner: { S: 'req-1' },
        expiresAt: { N: String(NOW_SECONDS + 300) },
      },
      ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now OR #owner = :owner',
      ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt', '#owner': 'owner' },
      ExpressionAttributeValues: { ':now': { N: String(NOW_SECONDS) }, ':owner': { S: 'req-1' } },
    });
  });

  it('a failed condition means another invocation holds it', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed());

    expect(await store().acquireLock('eks-workshop', 'new_nodegroup_2', 'req-1', 300)).toBe(false);
  });

  it('AccessDeniedException is an AwsCallError naming dynamodb:PutItem', async () => {
    ddb
      .on(PutItemCommand)
      .rejects(ddbError('AccessDeniedException', 'User is not authorized to perform: dynamodb:PutItem'));

    const error = await store()
      .acquireLock('eks-workshop', 'new_nodegroup_2', 'req-1', 300)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'dynamodb:PutItem', errorName: 'AccessDeniedException' });
    expect((error as AwsCallError).message).toContain("(grant dynamodb:PutItem to the caller's IAM role)");
  });
});

describe('releaseLock', () => {
  it("deletes the lock only if it is the owner's", async () => {
    ddb.on(DeleteItemCommand).resolves({});

    await store().releaseLock('eks-workshop', 'new_nodegroup_2', 'req-1');

    expect(ddb).toHaveReceivedCommandExactlyOnceWith(DeleteItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: PK }, sk: { S: 'lock' } },
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': { S: 'req-1' } },
    });
  });

  it('someone else holding it (or nobody) is not an error', async () => {
    ddb.on(DeleteItemCommand).rejects(conditionFailed());

    await expect(store().releaseLock('eks-workshop', 'new_nodegroup_2', 'req-1')).resolves.toBeUndefined();
  });

  it('other failures are an AwsCallError naming dynamodb:DeleteItem', async () => {
    ddb.on(DeleteItemCommand).rejects(ddbError('ThrottlingException', 'Rate exceeded'));

    const error = await store()
      .releaseLock('eks-workshop', 'new_nodegroup_2', 'req-1')
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ operation: 'dynamodb:DeleteItem', errorName: 'ThrottlingException' });
  });
});

describe('listRemediations', () => {
  it('queries the time window with a consistent read and follows every page, oldest first', async () => {
    const second = { ...record, at: '2026-11-26T09:45:00.000Z', status: 'resolved' as const };
    const third = { ...record, at: '2026-11-26T09:50:00.000Z', replacedInstanceIds: [] };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [recordItem(record)], LastEvaluatedKey: { pk: { S: PK }, sk: { S: 'k1' } } })
      .resolvesOnce({ Items: [recordItem(second)], LastEvaluatedKey: { pk: { S: PK }, sk: { S: 'k2' } } })
      .resolvesOnce({ Items: [recordItem(third)] });

    const listed = await store().listRemediations(
      'eks-workshop',
      'new_nodegroup_2',
      new Date('2026-11-26T04:00:00.000Z'),
    );

    expect(listed).toEqual([record, second, third]);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 3);
    const expected = {
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: {
        ':pk': { S: PK },
        ':from': { S: 'remediation#2026-11-26T04:00:00.000Z' },
        ':to': { S: 'remediation#~' },
      },
      ConsistentRead: true,
      ScanIndexForward: true,
    };
    expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 1, expected);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExclusiveStartKey).toBeUndefined();
    expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 2, {
      ...expected,
      ExclusiveStartKey: { pk: { S: PK }, sk: { S: 'k1' } },
    });
    expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 3, {
      ...expected,
      ExclusiveStartKey: { pk: { S: PK }, sk: { S: 'k2' } },
    });
  });

  it('failures are an AwsCallError naming dynamodb:Query', async () => {
    ddb.on(QueryCommand).rejects(ddbError('ResourceNotFoundException', 'Requested resource not found'));

    const error = await store()
      .listRemediations('eks-workshop', 'new_nodegroup_2', new Date(NOW))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'dynamodb:Query', errorName: 'ResourceNotFoundException' });
  });
});

describe('putRemediation', () => {
  it('writes the record under its time, kept for a week', async () => {
    const input = await putInputFor(record);

    expect(input).toEqual({ TableName: TABLE, Item: recordItem(record) });
    expect(input?.ConditionExpression).toBeUndefined();
  });
});

describe('the fields of a record', () => {
  it('stores progress, alerted and (as JSON, like the actions) the state before the writes', async () => {
    expect(await putInputFor(fullRecord)).toEqual({
      TableName: TABLE,
      Item: {
        ...recordItem(fullRecord),
        status: { S: 'failed' },
        progress: { S: 'writing' },
        alerted: { BOOL: false },
        before: { S: JSON.stringify(fullRecord.before) },
      },
    });
  });

  it('leaves out of the item the fields the record leaves out', async () => {
    const item = (await putInputFor(record))?.Item ?? {};
    expect(Object.keys(item).sort()).toEqual(
      [
        'actions',
        'at',
        'cluster',
        'expiresAt',
        'nodegroup',
        'pk',
        'replacedInstanceIds',
        'sk',
        'status',
      ].sort(),
    );
  });

  it('reads them back; absent ones stay absent', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          ...recordItem(fullRecord),
          progress: { S: 'writing' },
          alerted: { BOOL: false },
          before: { S: JSON.stringify(fullRecord.before) },
        },
        recordItem(record),
      ],
    });

    const [full, bare] = await store().listRemediations('eks-workshop', 'new_nodegroup_2', new Date(NOW));

    expect(full).toEqual(fullRecord);
    expect(full?.alerted).toBe(false);
    expect(bare).toEqual(record);
    for (const field of ['progress', 'alerted', 'before']) expect(bare).not.toHaveProperty(field);
  });

  it.each([
    ['open', 'open'],
    ['resolved', 'resolved'],
    ['escalated', 'escalated'],
    ['failed', 'failed'],
    ['something-new', 'open'],
  ])('reads status %s as %s', async (stored, read) => {
    ddb.on(QueryCommand).resolves({ Items: [{ ...recordItem(record), status: { S: stored } }] });

    const [listed] = await store().listRemediations('eks-workshop', 'new_nodegroup_2', new Date(NOW));

    expect(listed?.status).toBe(read);
  });

  it('an unknown progress is left out rather than guessed', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ ...recordItem(record), progress: { S: 'half-done' } }] });

    const [listed] = await store().listRemediations('eks-workshop', 'new_nodegroup_2', new Date(NOW));

    expect(listed).not.toHaveProperty('progress');
  });

  it('putRemediation is an unconditional put: a record with the same time is overwritten', async () => {
    ddb.on(PutItemCommand).resolves({});

    await store().putRemediation({ ...fullRecord, progress: 'writing' });
    await store().putRemediation({ ...fullRecord, progress: 'written' });

    const calls = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Item?.sk)).toEqual([
      { S: `remediation#${fullRecord.at}` },
      { S: `remediation#${fullRecord.at}` },
    ]);
    expect(calls.map((c) => c.ConditionExpression)).toEqual([undefined, undefined]);
    expect(calls[1]?.Item?.progress).toEqual({ S: 'written' });
  });

  it('PutItem failures are an AwsCallError naming dynamodb:PutItem', async () => {
    ddb.on(PutItemCommand).rejects(ddbError('ProvisionedThroughputExceededException', 'slow down'));

    const error = await store()
      .putRemediation(record)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({
      operation: 'dynamodb:PutItem',
      errorName: 'ProvisionedThroughputExceededException',
    });
  });
});

describe('closeRemediation', () => {
  it('is one conditional update from open', async () => {
    ddb.on(UpdateItemCommand).resolves({});

    expect(await store().closeRemediation(record, 'resolved')).toBe(true);

    expect(ddb).toHaveReceivedCommandExactlyOnceWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: PK }, sk: { S: `remediation#${record.at}` } },
      UpdateExpression: 'SET #status = :status, #closedAt = :closedAt',
      ConditionExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status', '#closedAt': 'closedAt' },
      ExpressionAttributeValues: {
        ':status': { S: 'resolved' },
        ':open': { S: 'open' },
        ':closedAt': { S: NOW },
      },
    });
  });

  it('false when another invocation closed it first', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());

    expect(await store().closeRemediation(record, 'escalated')).toBe(false);
  });

  it('other failures are an AwsCallError naming dynamodb:UpdateItem', async () => {
    ddb.on(UpdateItemCommand).rejects(ddbError('AccessDeniedException', 'not authorized'));

    const error = await store()
      .closeRemediation(record, 'escalated')
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ operation: 'dynamodb:UpdateItem', errorName: 'AccessDeniedException' });
  });
});

describe('claimAlert', () => {
  it('is one conditional put: never sent, or sent before the cooldown began', async () => {
    ddb.on(PutItemCommand).resolves({});
    const now = new Date('2026-11-26T10:00:00.250Z');

    expect(await store().claimAlert('eks-workshop', 'new_nodegroup_2', 'fp-1', now, 3600)).toBe(true);

    expect(ddb).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: TABLE,
      Item: {
        pk: { S: PK },
        sk: { S: 'alert#fp-1' },
        sentAt: { N: String(now.getTime()) },
        expiresAt: { N: String(NOW_SECONDS + 3600 + 1 + 24 * 3600) },
      },
      ConditionExpression: 'attribute_not_exists(#pk) OR #sentAt < :cutoff',
      ExpressionAttributeNames: { '#pk': 'pk', '#sentAt': 'sentAt' },
      ExpressionAttributeValues: { ':cutoff': { N: String(now.getTime() - 3600 * 1000) } },
    });
  });

  it('false (suppressed) when the condition fails', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed());

    expect(await store().claimAlert('eks-workshop', 'new_nodegroup_2', 'fp-1', new Date(NOW), 3600)).toBe(
      false,
    );
  });
});
