/**
 * An account in memory: one cluster, its nodegroups, one VPC, the nodegroup's Auto Scaling group and
 * the cluster's Nodes. It plays every port the check uses (account reader, membership, remediation
 * writer) and behaves as AWS does where the write path cares: RouteAlreadyExists, a replace of a
 * missing route, an Auto Scaling group that replaces a terminated instance, a nodegroup that is
 * UPDATING after a scaling change and refuses another one until ACTIVE. Faults are injected per
 * operation: an error before the call takes effect, or a lost answer after it did.
 */
import { AwsCallError } from '../../functions/core/model/errors.js';
import type {
  AccountReader,
  InstanceState,
  MembershipReader,
  RemediationWriter,
} from '../../functions/core/model/ports.js';
import type * as Model from '../../functions/core/model/types.js';
import type { FakeClock } from './stateStoreContract.js';

export const FAKE_REGION = 'us-west-2';

/** The arguments of a route write: table, destination, NAT gateway. */
type RouteArgs = [routeTableId: string, destination: string, natGatewayId: string];

const natTarget = (id: string) => ({ kind: 'nat-gateway', id }) as const;

export interface FakeInstance {
  instanceId: string;
  subnetId: string;
  availabilityZone: string;
  launchedAt: string;
  /** EC2 state. */
  state: 'pending' | 'running' | 'shutting-down' | 'terminated';
  lifecycleState: 'InService' | 'Pending' | 'Terminating' | 'Terminated';
  /** A Node names it in spec.providerID. */
  joined: boolean;
  /** The Node carries the nodegroup label (custom AMIs may register without it). */
  labelled?: boolean;
}

export interface FakeNodegroupSpec {
  name: string;
  subnetIds: string[];
}

export interface FakeAccountSpec {
  clusterName: string;
  clusterSubnetIds: string[];
  nodegroup: FakeNodegroupSpec & { minSize: number; maxSize: number; desiredSize: number; asg: string };
  otherNodegroups: FakeNodegroupSpec[];
  network: Model.NetworkSnapshot;
  instances: FakeInstance[];
  /** The Kubernetes API cannot be read: membership unknown. */
  membershipUnknown?: boolean;
}

export type WriteOp = 'createRoute' | 'replaceRoute' | 'terminateInstance' | 'setDesiredSize';
export type ReadOp =
  | 'readRouteTable'
  | 'readNatGateways'
  | 'readInstances'
  | 'readGroupInstanceIds'
  | 'readNodegroupScaling';
export type FaultOp = WriteOp | ReadOp;
/** error: the call fails and changes nothing; lost: the call takes effect, then its answer is lost. */
export type Fault = { kind: 'error'; name: string } | { kind: 'lost' };

export interface WriteRecord {
  op: WriteOp;
  args: (string | number)[];
  /** applied: the account changed; noop: answered without change (exists, not-found, gone); failed: an error before any effect. */
  outcome: 'applied' | 'noop' | 'failed';
}

const IAM_ACTIONS: Record<FaultOp, string> = {
  createRoute: 'ec2:CreateRoute',
  replaceRoute: 'ec2:ReplaceRoute',
  terminateInstance: 'autoscaling:TerminateInstanceInAutoScalingGroup',
  setDesiredSize: 'eks:UpdateNodegroupConfig',
  readRouteTable: 'ec2:DescribeRouteTables',
  readNatGateways: 'ec2:DescribeNatGateways',
  readInstances: 'ec2:DescribeInstances',
  readGroupInstanceIds: 'autoscaling:DescribeAutoScalingGroups',
  readNodegroupScaling: 'eks:DescribeNodegroup',
};

export class FakeAccount implements AccountReader, RemediationWriter, MembershipReader {
  readonly spec: FakeAccountSpec;
  readonly clock: FakeClock;
  network: Model.NetworkSnapshot;
  instances: FakeInstance[];
  desiredSize: number;
  status: 'ACTIVE' | 'UPDATING' = 'ACTIVE';
  readonly writes: WriteRecord[] = [];
  readonly faults = new Map<FaultOp, Fault[]>();
  #launched = 0;

  constructor(spec: FakeAccountSpec, clock: FakeClock) {
    this.spec = structuredClone(spec);
    this.clock = clock;
    this.network = structuredClone(spec.network);
    this.instances = structuredClone(spec.instances);
    this.desiredSize = spec.nodegroup.desiredSize;
  }

  /** Faults for the next calls of an operation, in order. */
  inject(op: FaultOp, ...faults: Fault[]): void {
    this.faults.set(op, [...(this.faults.get(op) ?? []), ...faults]);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The route table as it is now. */
  table(routeTableId: string): Model.RouteTable | undefined {
    return this.network.routeTables.find((t) => t.routeTableId === routeTableId);
  }

  live(): FakeInstance[] {
    return this.instances.filter((i) => i.state === 'pending' || i.state === 'running');
  }

  // --- AccountReader ------------------------------------------------------------------------------

  async describeCluster(clusterName: string): Promise<Model.Cluster> {
    return {
      name: clusterName,
      arn: `arn:aws:eks:${FAKE_REGION}:123456789012:cluster/${clusterName}`,
      region: FAKE_REGION,
      endpoint: 'https://fake.eks.amazonaws.com',
      vpcId: this.network.vpcId,
      endpointPublicAccess: true,
      endpointPrivateAccess: false,
      publicAccessCidrs: ['0.0.0.0/0'],
      tags: {},
      subnetIds: [...this.spec.clusterSubnetIds],
    };
  }

  async listNodegroups(): Promise<string[]> {
    return [this.spec.nodegroup.name, ...this.spec.otherNodegroups.map((n) => n.name)];
  }

  async describeNodegroup(clusterName: string, nodegroupName: string): Promise<Model.Nodegroup> {
    const own = this.spec.nodegroup;
    const spec =
      nodegroupName === own.name ? own : this.spec.otherNodegroups.find((n) => n.name === nodegroupName);
    if (!spec) throw new Error(`no nodegroup ${nodegroupName}`);
    const mine = spec === own;
    return {
      name: spec.name,
      clusterName,
      status: mine ? this.status : 'ACTIVE',
      subnetIds: [...spec.subnetIds],
      autoScalingGroupNames: mine ? [own.asg] : [`asg-${spec.name}`],
      scaling: mine
        ? { minSize: own.minSize, maxSize: own.maxSize, desiredSize: this.desiredSize }
        : { minSize: 0, maxSize: 1, desiredSize: 0 },
      tags: {},
      healthIssues: [],
    };
  }

  async describeGroupTags(names: string[]): Promise<Map<string, Record<string, string>>> {
    return new Map(
      names
        .filter((n) => n === this.spec.nodegroup.asg)
        .map((n) => [
          n,
          { 'eks:cluster-name': this.spec.clusterName, 'eks:nodegroup-name': this.spec.nodegroup.name },
        ]),
    );
  }

  async describeGroupInstances(names: string[]): Promise<Model.Instance[]> {
    if (!names.includes(this.spec.nodegroup.asg)) return [];
    return this.instances
      .filter((i) => i.state !== 'terminated')
      .map((i) => ({
        instanceId: i.instanceId,
        autoScalingGroupName: this.spec.nodegroup.asg,
        subnetId: i.subnetId,
        vpcId: this.network.vpcId,
        availabilityZone: i.availabilityZone,
        launchedAt: i.launchedAt,
        state: i.state,
        lifecycleState: i.lifecycleState,
      }));
  }

  async readNetwork(): Promise<Model.NetworkSnapshot> {
    return structuredClone(this.network);
  }

  // --- MembershipReader ---------------------------------------------------------------------------

  async listNodes(
    _cluster: Model.Cluster,
    _nodegroup: string,
    instanceIds: string[],
  ): Promise<Model.Membership> {
    if (this.spec.membershipUnknown) {
      return { kind: 'unknown', reason: 'unreachable', detail: 'ECONNREFUSED', endpoint: 'https://fake' };
    }
    const wanted = new Set(instanceIds);
    return {
      kind: 'known',
      nodes: this.instances
        .filter((i) => i.joined && wanted.has(i.instanceId) && i.state !== 'terminated')
        .map((i) => ({
          name: `ip-${i.instanceId}`,
          providerId: `aws:///${i.availabilityZone}/${i.instanceId}`,
          instanceId: i.instanceId,
          ready: true,
          ...(i.labelled !== false && { nodegroup: this.spec.nodegroup.name }),
        })),
    };
  }

  // --- RemediationWriter: writes --------------------------------------------------------------------

  async createRoute(routeTableId: string, destination: string, natGatewayId: string) {
    const args: RouteArgs = [routeTableId, destination, natGatewayId];
    return this.#routeWrite<'created' | 'exists'>('createRoute', args, (table, present) => {
      if (present) return { result: 'exists', applied: false };
      table.routes.push({
        destination,
        target: natTarget(natGatewayId),
        state: 'active',
        origin: 'CreateRoute',
      });
      return { result: 'created', applied: true };
    });
  }

  async replaceRoute(routeTableId: string, destination: string, natGatewayId: string) {
    const args: RouteArgs = [routeTableId, destination, natGatewayId];
    return this.#routeWrite<'replaced' | 'not-found'>('replaceRoute', args, (table, present) => {
      if (!present) return { result: 'not-found', applied: false };
      // A new route object: tables never share one, however the account was built.
      table.routes = table.routes.map((r) =>
        r.destination === destination ? { ...r, target: natTarget(natGatewayId), state: 'active' } : r,
      );
      return { result: 'replaced', applied: true };
    });
  }

  /** A write of a route to a table that must exist; `present`: the table has a route to that destination. */
  #routeWrite<T>(
    op: 'createRoute' | 'replaceRoute',
    args: RouteArgs,
    effect: (table: Model.RouteTable, present: boolean) => { result: T; applied: boolean },
  ): Promise<T> {
    const [routeTableId, destination] = args;
    return this.#write(op, args, () => {
      const table = this.#tableOrThrow(routeTableId);
      return effect(
        table,
        table.routes.some((r) => r.destination === destination),
      );
    });
  }

  async terminateInstance(instanceId: string): Promise<'terminating' | 'already-gone'> {
    return this.#write('terminateInstance', [instanceId], () => {
      const instance = this.instances.find((i) => i.instanceId === instanceId);
      if (!instance || (instance.state !== 'pending' && instance.state !== 'running')) {
        return { result: 'already-gone', applied: false };
      }
      this.#terminate(instance);
      // The group keeps its desired capacity: it launches a replacement in the same subnet.
      this.#launch(instance.subnetId, instance.availabilityZone);
      return { result: 'terminating', applied: true };
    });
  }

  async setDesiredSize(_cluster: string, _nodegroup: string, desiredSize: number): Promise<void> {
    await this.#write('setDesiredSize', [desiredSize], () => {
      if (this.status === 'UPDATING') {
        throw new AwsCallError(IAM_ACTIONS.setDesiredSize, {
          name: 'ResourceInUseException',
          message: 'Nodegroup cannot be updated as it is currently not in Active State',
        });
      }
      const live = this.live();
      if (desiredSize < live.length) {
        for (const instance of live.slice(desiredSize)) this.#terminate(instance);
      } else {
        const subnets = this.spec.nodegroup.subnetIds;
        for (let n = live.length; n < desiredSize; n++) {
          const subnetId = subnets[n % subnets.length] as string;
          const zone =
            this.network.subnets.find((s) => s.subnetId === subnetId)?.availabilityZone ?? 'us-west-2a';
          this.#launch(subnetId, zone);
        }
      }
      this.desiredSize = desiredSize;
      this.status = 'UPDATING';
      return { result: undefined, applied: true };
    });
  }

  // --- RemediationWriter: fresh reads -------------------------------------------------------------

  async readRouteTable(routeTableId: string): Promise<Model.RouteTable | undefined> {
    this.#readFault('readRouteTable');
    const table = this.table(routeTableId);
    return table && structuredClone(table);
  }

  async readNatGateways(natGatewayIds: string[]): Promise<Model.NatGateway[]> {
    this.#readFault('readNatGateways');
    const wanted = new Set(natGatewayIds);
    return structuredClone(this.network.natGateways.filter((n) => wanted.has(n.natGatewayId)));
  }

  async readInstances(instanceIds: string[]): Promise<InstanceState[]> {
    this.#readFault('readInstances');
    const wanted = new Set(instanceIds);
    return this.instances
      .filter((i) => wanted.has(i.instanceId))
      .map((i) => ({ instanceId: i.instanceId, state: i.state, lifecycleState: i.lifecycleState }));
  }

  async readGroupInstanceIds(names: string[]): Promise<string[]> {
    this.#readFault('readGroupInstanceIds');
    return names.includes(this.spec.nodegroup.asg) ? this.live().map((i) => i.instanceId) : [];
  }

  async readNodegroupScaling(): Promise<{ status: string; desiredSize: number; minSize: number }> {
    this.#readFault('readNodegroupScaling');
    const status = this.status;
    // An update finishes by the time anyone looks again.
    this.status = 'ACTIVE';
    return { status, desiredSize: this.desiredSize, minSize: this.spec.nodegroup.minSize };
  }

  // --- internals ----------------------------------------------------------------------------------

  async #write<T>(
    op: WriteOp,
    args: (string | number)[],
    effect: () => { result: T; applied: boolean },
  ): Promise<T> {
    const fault = this.faults.get(op)?.shift();
    if (fault?.kind === 'error') {
      this.writes.push({ op, args, outcome: 'failed' });
      throw new AwsCallError(IAM_ACTIONS[op], { name: fault.name, message: `injected ${fault.name}` });
    }
    let outcome: { result: T; applied: boolean };
    try {
      outcome = effect();
    } catch (error) {
      this.writes.push({ op, args, outcome: 'failed' });
      throw error;
    }
    this.writes.push({ op, args, outcome: outcome.applied ? 'applied' : 'noop' });
    if (fault?.kind === 'lost') {
      throw new AwsCallError(IAM_ACTIONS[op], {
        name: 'TimeoutError',
        message: 'socket hang up after the request was sent',
      });
    }
    return outcome.result;
  }

  #readFault(op: ReadOp): void {
    const fault = this.faults.get(op)?.shift();
    if (fault)
      throw new AwsCallError(IAM_ACTIONS[op], {
        name: fault.kind === 'error' ? fault.name : 'TimeoutError',
        message: 'injected',
      });
  }

  #tableOrThrow(routeTableId: string): Model.RouteTable {
    const table = this.table(routeTableId);
    if (!table)
      throw new AwsCallError('ec2:CreateRoute', {
        name: 'InvalidRouteTableID.NotFound',
        message: routeTableId,
      });
    return table;
  }

  #terminate(instance: FakeInstance): void {
    instance.state = 'shutting-down';
    instance.lifecycleState = 'Terminating';
  }

  #launch(subnetId: string, availabilityZone: string): void {
    this.#launched += 1;
    this.instances.push({
      instanceId: `i-new${String(this.#launched).padStart(13, '0')}`,
      subnetId,
      availabilityZone,
      launchedAt: this.clock.now().toISOString(),
      state: 'pending',
      lifecycleState: 'Pending',
      joined: false,
    });
  }
}
