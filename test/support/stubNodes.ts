import type { StubNode } from './kubernetesStub.js';

/** A ready Node of `nodegroup` in us-west-2a for the Kubernetes stub, labelled with its nodegroup unless `extra` says otherwise. */
export function stubNode(instanceId: string, nodegroup = 'workers', extra: Partial<StubNode> = {}): StubNode {
  return { instanceId, availabilityZone: 'us-west-2a', nodegroup, ...extra };
}

/** A Node registered without the nodegroup label, as a custom AMI's bootstrap leaves it: only its provider ID names it. */
export function unlabelledNode(instanceId: string, nodegroup = 'workers'): StubNode {
  return stubNode(instanceId, nodegroup, { nodegroupLabel: false });
}
