import { describe } from 'vitest';
import { MemoryStateStore } from '../../../functions/state/MemoryStateStore.js';
import { stateStoreContract } from '../../support/stateStoreContract.js';

describe('MemoryStateStore', () => {
  stateStoreContract((clock) => new MemoryStateStore({ clock }));
});
