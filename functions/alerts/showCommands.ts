/** The commands an alert gives a person to see the nodes for themselves. */
import type { NodegroupReport, Report } from '../core/model/types.js';

/** Shows the nodegroup's Nodes as they join. */
export function watchCommand(ng: NodegroupReport): string {
  return `kubectl get nodes -l eks.amazonaws.com/nodegroup=${ng.name} --watch`;
}

/** The boot log of an instance that did not join: where kubelet and nodeadm say why. */
export function consoleOutputCommand(report: Report, instanceId: string): string {
  return `aws ec2 get-console-output --instance-id ${instanceId} --latest --output text${report.region ? ` --region ${report.region}` : ''}`;
}
