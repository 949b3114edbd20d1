import type { SecurityGroupRule } from '../model/types.js';

/** Whether a security group rule covers TCP traffic to `port`: all protocols, or TCP with a range holding it. */
export function ruleCoversTcpPort(rule: SecurityGroupRule, port: number): boolean {
  const protocol = rule.protocol.toLowerCase();
  if (protocol === '-1' || protocol === 'all') return true;
  if (protocol !== 'tcp' && protocol !== '6') return false;
  // EC2 leaves the ports out only for all-protocol rules; read a TCP rule without them as all ports.
  const from = rule.fromPort ?? 0;
  const to = rule.toPort ?? 65535;
  return (from === -1 && to === -1) || (from <= port && port <= to);
}
