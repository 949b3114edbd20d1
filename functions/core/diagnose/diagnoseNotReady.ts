import type {
  Cluster,
  Finding,
  InstanceVerdict,
  NetworkSnapshot,
  Nodegroup,
  NodeIdentity,
} from '../model/types.js';

/**
 * NODES_NOT_READY: nodes past the join window that registered but whose Ready condition is not True,
 * with the condition's reason and message and the common causes the account shows. STUB: helper B.
 */
export function diagnoseNotReady(_input: {
  cluster: Cluster;
  nodegroup: Nodegroup;
  notReady: InstanceVerdict[];
  identity?: NodeIdentity;
  networks: NetworkSnapshot[];
  joinWindowSeconds: number;
}): Finding[] {
  return [];
}
