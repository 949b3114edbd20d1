import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config.js';
import type { StateStore } from '../core/model/ports.js';
import { DynamoDbStateStore } from './DynamoDbStateStore.js';
import { MemoryStateStore } from './MemoryStateStore.js';

/** One per process (Lambda container): without a table, state lives as long as the process. */
let memory: MemoryStateStore | undefined;

/** The state table when STATE_TABLE names one, else in-memory state for this process. */
export function stateStore(config: Config, clients: AwsClients): StateStore {
  if (config.stateTable)
    return new DynamoDbStateStore({ client: clients.dynamodb, tableName: config.stateTable });
  memory ??= new MemoryStateStore();
  return memory;
}
