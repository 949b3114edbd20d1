import type { Instance as AsgInstance, AutoScalingGroup, LifecycleState } from '@aws-sdk/client-auto-scaling';

/** An instance of a group as DescribeAutoScalingGroups lists it: healthy, in us-west-2a. */
export function asgInstance(instanceId: string, lifecycleState: LifecycleState = 'InService'): AsgInstance {
  return {
    InstanceId: instanceId,
    AvailabilityZone: 'us-west-2a',
    LifecycleState: lifecycleState,
    HealthStatus: 'Healthy',
    ProtectedFromScaleIn: false,
  };
}

/**
 * A group as DescribeAutoScalingGroups answers it: 0 to 2 instances in us-west-2a, the desired capacity
 * the instances it holds unless `overrides` says otherwise.
 */
export function asgGroup(
  name: string,
  tags: Record<string, string> = {},
  instances: AsgInstance[] = [],
  overrides: Partial<AutoScalingGroup> = {},
): AutoScalingGroup {
  return {
    AutoScalingGroupName: name,
    MinSize: 0,
    MaxSize: 2,
    DesiredCapacity: instances.length,
    DefaultCooldown: 300,
    AvailabilityZones: ['us-west-2a'],
    HealthCheckType: 'EC2',
    CreatedTime: new Date('2026-11-26T09:48:55Z'),
    Instances: instances,
    Tags: Object.entries(tags).map(([Key, Value]) => ({
      Key,
      Value,
      ResourceId: name,
      ResourceType: 'auto-scaling-group',
      PropagateAtLaunch: true,
    })),
    ...overrides,
  };
}
