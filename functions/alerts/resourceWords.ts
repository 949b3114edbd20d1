/** Instances, nodes and route tables as a person reads them, and the commands that show them. */
import type { Finding, InstanceVerdict, NodegroupReport, Report } from '../core/model/types.js';
import type { Code } from './text.js';

/** An instance that did not join (or whose membership is unknown): where it runs and since when. */
export function instanceWords(v: InstanceVerdict, code: Code): string {
  const where = v.subnetId
    ? ` in ${code(v.subnetId)}${v.availabilityZone ? ` (${v.availabilityZone})` : ''}`
    : '';
  const since = v.launchedAt ? `, ${v.state} since ${v.launchedAt}` : `, ${v.state}`;
  return `${code(v.instanceId)}${where}${since}`;
}

/** A node that joined: the instance, the Node it registered as, and whether it is Ready. */
export function joinedWords(v: InstanceVerdict, code: Code): string {
  const node = v.nodeName ? ` as ${code(v.nodeName)}` : '';
  const ready = v.ready === true ? ' (Ready)' : v.ready === false ? ' (NotReady)' : '';
  return `${code(v.instanceId)}${node}${ready}${v.launchedAt ? `, launched ${v.launchedAt}` : ''}`;
}

/** Names the route table and whether the subnet uses it by association or by falling back to the main table. */
export function routeTableWords(f: Finding, code: Code): string | undefined {
  if (!f.routeTableId) return undefined;
  const subnet = f.subnetId ? code(f.subnetId) : 'the subnet';
  if (f.routeTableSource === 'explicit')
    return `${code(f.routeTableId)}, explicitly associated with ${subnet}`;
  if (f.routeTableSource === 'main') {
    return `${code(f.routeTableId)}, the VPC main table (${subnet} has no association of its own)`;
  }
  return code(f.routeTableId);
}

/** Shows the nodegroup's Nodes as they join. */
export function watchCommand(ng: NodegroupReport): string {
  return `kubectl get nodes -l eks.amazonaws.com/nodegroup=${ng.name} --watch`;
}

/** The boot log of an instance that did not join: where kubelet and nodeadm say why. */
export function consoleOutputCommand(report: Report, instanceId: string): string {
  return `aws ec2 get-console-output --instance-id ${instanceId} --latest --output text${report.region ? ` --region ${report.region}` : ''}`;
}
