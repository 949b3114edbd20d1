import { NOT_READY_CNI_MESSAGE, type StubNode } from './kubernetesStub.js';

/** A ready Node of `nodegroup` in us-west-2a for the Kubernetes stub, labelled with its nodegroup unless `extra` says otherwise. */
export function stubNode(instanceId: string, nodegroup = 'workers', extra: Partial<StubNode> = {}): StubNode {
  return { instanceId, availabilityZone: 'us-west-2a', nodegroup, ...extra };
}

/** A Node registered without the nodegroup label, as a custom AMI's bootstrap leaves it: only its provider ID names it. */
export function unlabelledNode(instanceId: string, nodegroup = 'workers'): StubNode {
  return stubNode(instanceId, nodegroup, { nodegroupLabel: false });
}

/**
 * A Node that registered but is not Ready: by default as the kubelet reports it while no CNI has set
 * up the pod network (KubeletNotReady, "cni plugin not initialized").
 */
export function notReadyNode(
  instanceId: string,
  nodegroup = 'workers',
  condition: NonNullable<StubNode['notReady']> = {},
  extra: Partial<StubNode> = {},
): StubNode {
  return stubNode(instanceId, nodegroup, {
    ready: false,
    notReady: { reason: 'KubeletNotReady', message: NOT_READY_CNI_MESSAGE, ...condition },
    ...extra,
  });
}
