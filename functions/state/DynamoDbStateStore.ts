import {
  type AttributeValue,
  BatchGetItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  type KeysAndAttributes,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { awsCall } from '../aws/awsCall.js';
import { errorName } from '../core/model/errors.js';
import { type Clock, checkKey, type StateStore } from '../core/model/ports.js';
import type { Action, RemediationRecord } from '../core/model/types.js';
import {
  alertCutoff,
  alertExpiresAt,
  alertSortKey,
  CHECK_SK,
  checkExpiresAt,
  epochSeconds,
  LOCK_SK,
  lockExpiresAt,
  partitionKey,
  REMEDIATION_SK_END,
  remediationExpiresAt,
  remediationSortKey,
} from './stateKeys.js';

export interface DynamoDbStateStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Lock expiry is judged against this clock; default: the system clock. */
  clock?: Clock;
}

type Item = Record<string, AttributeValue>;
type ClaimAlert = Parameters<StateStore['claimAlert']>;

/** DynamoDB's limit of keys per BatchGetItem. */
const BATCH_GET_KEYS = 100;
/** Tries for keys DynamoDB leaves unprocessed (throttled); the SDK already backs off each call. */
const BATCH_GET_ATTEMPTS = 3;

const systemClock: Clock = { now: () => new Date() };

/**
 * State across invocations in one DynamoDB table (partition key `pk`, sort key `sk`, TTL attribute
 * `expiresAt` in epoch seconds). Every decision that two invocations could race on (the lock, an alert
 * claim, closing a remediation) is a single conditional write, so exactly one of them wins.
 *
 * Items of a nodegroup share pk `nodegroup#<cluster>#<nodegroup>`:
 * - sk `lock`: owner, expiresAt
 * - sk `remediation#<ISO time>`: the RemediationRecord, expiresAt a week later
 * - sk `alert#<fingerprint>`: sentAt (epoch ms), expiresAt after the cooldown and a margin
 * - sk `check`: checkedAt (epoch ms) of the last completed check, expiresAt two days later
 */
export class DynamoDbStateStore implements StateStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(options: DynamoDbStateStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#clock = options.clock ?? systemClock;
  }

  async acquireLock(cluster: string, nodegroup: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const now = this.#clock.now();
    return this.#putIf({
      Item: {
        ...itemKey(cluster, nodegroup, LOCK_SK),
        owner: { S: owner },
        expiresAt: { N: String(lockExpiresAt(now, ttlSeconds)) },
      },
      // The owner may take its own lock again: an SDK retry whose first attempt took the lock (its
      // answer lost) must not find itself locked out.
      ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now OR #owner = :owner',
      ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt', '#owner': 'owner' },
      ExpressionAttributeValues: { ':now': { N: String(epochSeconds(now)) }, ':owner': { S: owner } },
    });
  }

  async releaseLock(cluster: string, nodegroup: string, owner: string): Promise<void> {
    // Only the owner's own lock: one that expired and was taken over belongs to someone else now.
    await conditional('dynamodb:DeleteItem', () =>
      this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: itemKey(cluster, nodegroup, LOCK_SK),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      ),
    );
  }

  async listRemediations(cluster: string, nodegroup: string, since: Date): Promise<RemediationRecord[]> {
    const from = remediationSortKey(since);
    const items = await awsCall('dynamodb:Query', async () => {
      const items: Item[] = [];
      let startKey: Item | undefined;
      do {
        const page = await this.#client.send(
          new QueryCommand({
            TableName: this.#tableName,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
            ExpressionAttributeValues: {
              ':pk': { S: partitionKey(cluster, nodegroup) },
              ':from': { S: from },
              ':to': { S: REMEDIATION_SK_END },
            },
            // The loop guard counts what was just written by another invocation.
            ConsistentRead: true,
            ScanIndexForward: true,
            ...(startKey && { ExclusiveStartKey: startKey }),
          }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items;
    });
    return items.map(fromItem);
  }

  async putRemediation(record: RemediationRecord): Promise<void> {
    await awsCall('dynamodb:PutItem', () =>
      this.#client.send(new PutItemCommand({ TableName: this.#tableName, Item: toItem(record) })),
    );
  }

  async closeRemediation(record: RemediationRecord, status: 'resolved' | 'escalated'): Promise<boolean> {
    return this.#updateIf(itemKey(record.cluster, record.nodegroup, remediationSortKey(record.at)), {
      UpdateExpression: 'SET #status = :status, #closedAt = :closedAt',
      ConditionExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status', '#closedAt': 'closedAt' },
      ExpressionAttributeValues: {
        ':status': { S: status },
        ':open': { S: 'open' },
        ':closedAt': { S: this.#clock.now().toISOString() },
      },
    });
  }

  async claimAlert(...[cluster, nodegroup, fingerprint, now, cooldownSeconds]: ClaimAlert): Promise<boolean> {
    return this.#putIf({
      Item: {
        ...itemKey(cluster, nodegroup, alertSortKey(fingerprint)),
        sentAt: { N: String(now.getTime()) },
        expiresAt: { N: String(alertExpiresAt(now, cooldownSeconds)) },
      },
      ConditionExpression: 'attribute_not_exists(#pk) OR #sentAt < :cutoff',
      ExpressionAttributeNames: { '#pk': 'pk', '#sentAt': 'sentAt' },
      ExpressionAttributeValues: { ':cutoff': { N: String(alertCutoff(now, cooldownSeconds)) } },
    });
  }

  async recordCheck(cluster: string, nodegroup: string, at: Date): Promise<void> {
    // Only forward in time: a slower run that started earlier never hides a later check.
    await this.#updateIf(itemKey(cluster, nodegroup, CHECK_SK), {
      UpdateExpression: 'SET #checkedAt = :at, #expiresAt = :expiresAt',
      ConditionExpression: 'attribute_not_exists(#checkedAt) OR #checkedAt < :at',
      ExpressionAttributeNames: { '#checkedAt': 'checkedAt', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: {
        ':at': { N: String(at.getTime()) },
        ':expiresAt': { N: String(checkExpiresAt(at)) },
      },
    });
  }

  async lastChecks(nodegroups: { cluster: string; nodegroup: string }[]): Promise<Map<string, Date>> {
    const found = new Map<string, Date>();
    const keys = [...new Map(nodegroups.map((n) => [partitionKey(n.cluster, n.nodegroup), n])).keys()];
    for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) {
      let request: Record<string, KeysAndAttributes> | undefined = {
        [this.#tableName]: {
          Keys: keys.slice(i, i + BATCH_GET_KEYS).map((pk) => ({ pk: { S: pk }, sk: { S: CHECK_SK } })),
          ProjectionExpression: 'pk, checkedAt',
          // A check another invocation just recorded must be seen.
          ConsistentRead: true,
        },
      };
      for (let attempt = 0; request && attempt < BATCH_GET_ATTEMPTS; attempt++) {
        const page = await awsCall('dynamodb:BatchGetItem', () =>
          this.#client.send(new BatchGetItemCommand({ RequestItems: request })),
        );
        for (const item of page.Responses?.[this.#tableName] ?? []) {
          const at = Number(item.checkedAt?.N);
          const pk = item.pk?.S;
          const owner = pk && nodegroups.find((n) => partitionKey(n.cluster, n.nodegroup) === pk);
          if (owner && Number.isFinite(at)) found.set(checkKey(owner.cluster, owner.nodegroup), new Date(at));
        }
        const unprocessed = page.UnprocessedKeys?.[this.#tableName];
        request = unprocessed?.Keys?.length ? { [this.#tableName]: unprocessed } : undefined;
      }
      // Keys still unprocessed after the retries are simply not known: their nodegroups get checked.
    }
    return found;
  }

  /** A PutItem made only when its condition holds: true when it was made. */
  #putIf(input: Omit<PutItemCommandInput, 'TableName'>): Promise<boolean> {
    return conditional('dynamodb:PutItem', () =>
      this.#client.send(new PutItemCommand({ TableName: this.#tableName, ...input })),
    );
  }

  /** An UpdateItem of one item made only when its condition holds: true when it was made. */
  #updateIf(key: Item, input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>): Promise<boolean> {
    return conditional('dynamodb:UpdateItem', () =>
      this.#client.send(new UpdateItemCommand({ TableName: this.#tableName, Key: key, ...input })),
    );
  }
}

/** The key attributes of a nodegroup's item. */
function itemKey(cluster: string, nodegroup: string, sortKey: string): Item {
  return { pk: { S: partitionKey(cluster, nodegroup) }, sk: { S: sortKey } };
}

function toItem(record: RemediationRecord): Item {
  return {
    ...itemKey(record.cluster, record.nodegroup, remediationSortKey(record.at)),
    cluster: { S: record.cluster },
    nodegroup: { S: record.nodegroup },
    at: { S: record.at },
    status: { S: record.status },
    ...(record.progress !== undefined && { progress: { S: record.progress } }),
    ...(record.alerted !== undefined && { alerted: { BOOL: record.alerted } }),
    actions: { S: JSON.stringify(record.actions) },
    ...(record.before !== undefined && { before: { S: JSON.stringify(record.before) } }),
    replacedInstanceIds: { L: record.replacedInstanceIds.map((id) => ({ S: id })) },
    expiresAt: { N: String(remediationExpiresAt(record.at)) },
  };
}

function fromItem(item: Item): RemediationRecord {
  const status = item.status?.S;
  const progress = item.progress?.S;
  const alerted = item.alerted?.BOOL;
  const before = item.before?.S;
  return {
    cluster: item.cluster?.S ?? '',
    nodegroup: item.nodegroup?.S ?? '',
    at: item.at?.S ?? '',
    status: status === 'resolved' || status === 'escalated' || status === 'failed' ? status : 'open',
    ...((progress === 'writing' || progress === 'written') && { progress }),
    ...(alerted !== undefined && { alerted }),
    actions: JSON.parse(item.actions?.S ?? '[]') as Action[],
    ...(before !== undefined && { before: JSON.parse(before) as NonNullable<RemediationRecord['before']> }),
    replacedInstanceIds: (item.replacedInstanceIds?.L ?? [])
      .map((v) => v.S)
      .filter((id): id is string => id !== undefined),
  };
}

/** A conditional write: true when it was made, false when its condition did not hold. */
function conditional(operation: string, write: () => Promise<unknown>): Promise<boolean> {
  return awsCall(
    operation,
    async () => {
      await write();
      return true;
    },
    { when: (error) => errorName(error) === 'ConditionalCheckFailedException', answer: () => false },
  );
}
