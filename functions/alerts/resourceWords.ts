/** Instances, nodes and route tables as a person reads them. */
import type { Finding, InstanceVerdict } from '../core/model/types.js';
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
