import { READER_GROUP } from '../model/settings.js';
import type { Cluster, Finding, InstanceVerdict, Membership, Nodegroup } from '../model/types.js';

/** The Kubernetes group our RBAC manifest (infra/k8s/rbac.yaml) binds to get/list nodes. */

/** The symptom: instances past the join window with no Node object. */
export function nodesNotJoinedFinding(
  nodegroup: Nodegroup,
  unjoined: InstanceVerdict[],
  joinWindowSeconds: number,
  region: string,
): Finding {
  const ids = unjoined.map((v) => v.instanceId);
  const asg = nodegroup.autoScalingGroupNames[0];
  return {
    code: 'NODES_NOT_JOINED',
    severity: 'critical',
    resourceId: nodegroup.arn ?? nodegroup.name,
    instanceIds: ids,
    message: `${ids.length} instance(s) of nodegroup ${nodegroup.name} have run for more than ${joinWindowSeconds} s without registering a Node: ${unjoined
      .map(
        (v) =>
          `${v.instanceId} (${v.subnetId ?? 'unknown subnet'}, ${v.availabilityZone ?? '?'}, launched ${v.launchedAt ?? '?'})`,
      )
      .join(', ')}.`,
    fix: [
      '# After fixing the cause, replace the unjoined instances (the group launches new ones; joined nodes keep running):',
      ...ids.map(
        (id) =>
          `aws autoscaling terminate-instance-in-auto-scaling-group --instance-id ${id} --no-should-decrement-desired-capacity --region ${region}`,
      ),
      ...(asg ? [`# then watch: kubectl get nodes -l eks.amazonaws.com/nodegroup=${nodegroup.name}`] : []),
    ].join('\n'),
  };
}

/** Membership could not be read: say which access is missing instead of guessing. */
export function membershipFinding(cluster: Cluster, membership: Membership): Finding | undefined {
  if (membership.kind === 'known') return undefined;
  const region = cluster.region;
  if (membership.reason === 'forbidden') {
    const fix =
      membership.status === 401
        ? [
            `# The caller's IAM principal is not admitted to ${cluster.name}: give it an access entry in the reader group, then apply the RBAC manifest.`,
            `aws eks create-access-entry --cluster-name ${cluster.name} --principal-arn <caller-role-arn> --kubernetes-groups ${READER_GROUP} --region ${region}`,
            'kubectl apply -f infra/k8s/rbac.yaml',
          ]
        : [
            `# The caller is authenticated but RBAC does not let it list nodes: bind get/list on nodes to its group.`,
            'kubectl apply -f infra/k8s/rbac.yaml',
            `# (and make sure its access entry carries the Kubernetes group ${READER_GROUP})`,
          ];
    return {
      code: 'NODE_LIST_FORBIDDEN',
      severity: 'warning',
      resourceId: cluster.arn ?? cluster.name,
      message: `The Kubernetes API of ${cluster.name} refused to list nodes (HTTP ${membership.status ?? '?'}: ${membership.detail}); membership was not judged.`,
      fix: fix.join('\n'),
    };
  }
  return {
    code: 'CLUSTER_API_UNREACHABLE',
    severity: 'warning',
    resourceId: cluster.arn ?? cluster.name,
    message: `The Kubernetes API of ${cluster.name} at ${membership.endpoint} could not be reached (${membership.detail}); membership was not judged.`,
    fix: [
      `# Let the checker reach the API server on TCP 443: either allow its egress IP in the public endpoint's CIDRs,`,
      `aws eks describe-cluster --name ${cluster.name} --query cluster.resourcesVpcConfig --region ${region}`,
      '# or run it inside the cluster VPC with a security group that the cluster security group admits on 443.',
    ].join('\n'),
  };
}
