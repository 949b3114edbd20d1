/**
 * Two ways for a test to prove what the tool wrote (or that it wrote nothing):
 *
 * 1. `snapshotWritableState`: a plain, sorted, comparable picture of everything the tool could
 *    change (route tables and routes, NAT gateways, subnets, instances, Auto Scaling groups,
 *    nodegroup scaling). Take one before and one after, compare with `toEqual`.
 * 2. moto's request recorder: `startRecording` then `recordedActions` lists every AWS API call the
 *    server received, e.g. ['eks:DescribeCluster', 'ec2:DescribeRouteTables', 'sns:Publish'].
 *    The harness's own calls (seed, snapshots, alert reads) are left out by default: its clients
 *    carry HARNESS_USER_AGENT.
 *
 * moto 5.2.1's recorder (moto/moto_api/_internal/recorder): POST /moto-api/recorder/start-recording,
 * stop-recording, reset-recording, GET download-recording. It appends one JSON line per request
 * (method, url, headers, body, base64 when binary) to MOTO_RECORDER_FILEPATH, which startMotoServer
 * sets to a file private to each server. Recording is global to the server and survives
 * /moto-api/reset. It records requests to /moto-api/* too (except the recorder's own); those are
 * dropped here.
 */
import { AutoScalingClient, paginateDescribeAutoScalingGroups } from '@aws-sdk/client-auto-scaling';
import {
  EC2Client,
  type NatGateway,
  paginateDescribeInstances,
  paginateDescribeNatGateways,
  paginateDescribeRouteTables,
  paginateDescribeSubnets,
  type Route,
  type Subnet,
} from '@aws-sdk/client-ec2';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  paginateListNodegroups,
} from '@aws-sdk/client-eks';
import { assertLoopback, HARNESS_USER_AGENT, harnessClientConfig } from './motoServer.js';

// --- 1. state snapshot ------------------------------------------------------------------------

export interface WritableStateTarget {
  vpcId: string;
  clusterName: string;
}

export interface WritableState {
  routeTables: {
    routeTableId: string;
    main: boolean;
    subnetIds: string[];
    /** 'destination -> target (state)', sorted */
    routes: string[];
  }[];
  natGateways: { natGatewayId: string; subnetId: string; state: string }[];
  subnets: { subnetId: string; cidrBlock: string; mapPublicIpOnLaunch: boolean }[];
  instances: { instanceId: string; state: string; subnetId: string | null }[];
  autoScalingGroups: {
    name: string;
    minSize: number;
    maxSize: number;
    desiredCapacity: number;
    vpcZoneIdentifier: string;
    launchTemplate: string | null;
    suspendedProcesses: string[];
    instances: { instanceId: string; lifecycleState: string; healthStatus: string }[];
  }[];
  cluster: {
    status: string;
    subnetIds: string[];
    endpointPublicAccess: boolean;
    endpointPrivateAccess: boolean;
  };
  nodegroups: {
    name: string;
    status: string;
    scalingConfig: { minSize: number; maxSize: number; desiredSize: number };
    subnets: string[];
    labels: Record<string, string>;
    version: string | null;
  }[];
}

/**
 * Everything in the VPC, the cluster and the account's Auto Scaling groups that the tool could
 * write, in a deterministic shape (sorted, no timestamps). Uses its own clients, tagged as harness.
 */
export async function snapshotWritableState(
  endpoint: string,
  target: WritableStateTarget,
): Promise<WritableState> {
  const config = harnessClientConfig(endpoint);
  const ec2 = new EC2Client(config);
  const eks = new EKSClient(config);
  const autoScaling = new AutoScalingClient(config);
  const vpcFilter = [{ Name: 'vpc-id', Values: [target.vpcId] }];
  try {
    const routeTables: WritableState['routeTables'] = await collect(
      paginateDescribeRouteTables({ client: ec2 }, { Filters: vpcFilter }),
      (page) => page.RouteTables,
      (table) => {
        const associations = table.Associations ?? [];
        return {
          routeTableId: table.RouteTableId ?? '',
          main: associations.some((association) => association.Main === true),
          subnetIds: associations
            .map((association) => association.SubnetId)
            .filter((id): id is string => Boolean(id))
            .sort(),
          routes: (table.Routes ?? []).map(describeRoute).sort(),
        };
      },
    );

    const natGateways = await collect(
      paginateDescribeNatGateways({ client: ec2 }, { Filter: vpcFilter }),
      (page) => page.NatGateways,
      natGatewayState,
    );
    const subnets = await collect(
      paginateDescribeSubnets({ client: ec2 }, { Filters: vpcFilter }),
      (page) => page.Subnets,
      subnetState,
    );

    const instances: WritableState['instances'] = await collect(
      paginateDescribeInstances({ client: ec2 }, { Filters: vpcFilter }),
      (page) => page.Reservations?.flatMap((reservation) => reservation.Instances ?? []),
      (instance) => ({
        instanceId: instance.InstanceId ?? '',
        state: instance.State?.Name ?? '',
        subnetId: instance.SubnetId ?? null,
      }),
    );

    const autoScalingGroups: WritableState['autoScalingGroups'] = await collect(
      paginateDescribeAutoScalingGroups({ client: autoScaling }, {}),
      (page) => page.AutoScalingGroups,
      (group) => {
        const template =
          group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
        return {
          name: group.AutoScalingGroupName ?? '',
          minSize: group.MinSize ?? -1,
          maxSize: group.MaxSize ?? -1,
          desiredCapacity: group.DesiredCapacity ?? -1,
          vpcZoneIdentifier: group.VPCZoneIdentifier ?? '',
          launchTemplate: template
            ? `${template.LaunchTemplateName ?? template.LaunchTemplateId}@${template.Version ?? ''}`
            : null,
          suspendedProcesses: (group.SuspendedProcesses ?? [])
            .map((process) => process.ProcessName ?? '')
            .sort(),
          instances: (group.Instances ?? [])
            .map((instance) => ({
              instanceId: instance.InstanceId ?? '',
              lifecycleState: instance.LifecycleState ?? '',
              healthStatus: instance.HealthStatus ?? '',
            }))
            .sort(byKey('instanceId')),
        };
      },
    );

    const described = await eks.send(new DescribeClusterCommand({ name: target.clusterName }));
    const vpcConfig = described.cluster?.resourcesVpcConfig;
    const cluster: WritableState['cluster'] = {
      status: described.cluster?.status ?? '',
      subnetIds: [...(vpcConfig?.subnetIds ?? [])].sort(),
      endpointPublicAccess: vpcConfig?.endpointPublicAccess ?? false,
      endpointPrivateAccess: vpcConfig?.endpointPrivateAccess ?? false,
    };

    const nodegroups: WritableState['nodegroups'] = await collect(
      paginateListNodegroups({ client: eks }, { clusterName: target.clusterName }),
      (page) => page.nodegroups,
      async (name) => {
        const { nodegroup } = await eks.send(
          new DescribeNodegroupCommand({ clusterName: target.clusterName, nodegroupName: name }),
        );
        return {
          name,
          status: nodegroup?.status ?? '',
          scalingConfig: {
            minSize: nodegroup?.scalingConfig?.minSize ?? -1,
            maxSize: nodegroup?.scalingConfig?.maxSize ?? -1,
            desiredSize: nodegroup?.scalingConfig?.desiredSize ?? -1,
          },
          subnets: [...(nodegroup?.subnets ?? [])].sort(),
          labels: { ...(nodegroup?.labels ?? {}) },
          version: nodegroup?.version ?? null,
        };
      },
    );

    return {
      routeTables: routeTables.sort(byKey('routeTableId')),
      natGateways: natGateways.sort(byKey('natGatewayId')),
      subnets: subnets.sort(byKey('subnetId')),
      instances: instances.sort(byKey('instanceId')),
      autoScalingGroups: autoScalingGroups.sort(byKey('name')),
      cluster,
      nodegroups: nodegroups.sort(byKey('name')),
    };
  } finally {
    for (const client of [ec2, eks, autoScaling]) client.destroy();
  }
}

function natGatewayState(nat: NatGateway): WritableState['natGateways'][number] {
  return { natGatewayId: nat.NatGatewayId ?? '', subnetId: nat.SubnetId ?? '', state: nat.State ?? '' };
}

function subnetState(subnet: Subnet): WritableState['subnets'][number] {
  return {
    subnetId: subnet.SubnetId ?? '',
    cidrBlock: subnet.CidrBlock ?? '',
    mapPublicIpOnLaunch: subnet.MapPublicIpOnLaunch ?? false,
  };
}

function describeRoute(route: Route): string {
  const destination =
    route.DestinationCidrBlock ?? route.DestinationIpv6CidrBlock ?? route.DestinationPrefixListId ?? '?';
  const target =
    route.NatGatewayId ??
    route.GatewayId ??
    route.TransitGatewayId ??
    route.VpcPeeringConnectionId ??
    route.NetworkInterfaceId ??
    route.InstanceId ??
    route.EgressOnlyInternetGatewayId ??
    route.LocalGatewayId ??
    route.CarrierGatewayId ??
    route.CoreNetworkArn ??
    '?';
  return `${destination} -> ${target} (${route.State ?? '?'})`;
}

/** Every item of every page, mapped one at a time in page order (a mapping may call AWS itself). */
async function collect<Page, Item, Out>(
  pages: AsyncIterable<Page>,
  itemsOf: (page: Page) => Item[] | undefined,
  map: (item: Item) => Out | Promise<Out>,
): Promise<Out[]> {
  const out: Out[] = [];
  for await (const page of pages) {
    for (const item of itemsOf(page) ?? []) out.push(await map(item));
  }
  return out;
}

function byKey<T>(key: keyof T) {
  return (a: T, b: T) => String(a[key]).localeCompare(String(b[key]));
}

// --- 2. moto's request recorder ---------------------------------------------------------------

export interface RecordedRequest {
  /** 'ec2:DescribeRouteTables', or 'eks:GET /unknown/path' when the REST route is not known. */
  action: string;
  /** Signing name from the Authorization header: ec2, eks, autoscaling, sns, sqs, ... */
  service: string;
  /** Signing region from the Authorization header: which region's clients made the call. */
  region: string;
  operation: string;
  method: string;
  path: string;
  /** Made by a harness client (seed, snapshot, alert read) rather than the code under test. */
  harness: boolean;
  /** The SDK's amz-sdk-invocation-id: the same for every retry of one call. */
  invocationId: string | undefined;
  /** 1 for the first attempt, 2+ for SDK retries. */
  attempt: number;
}

export interface RecordedActionsOptions {
  /** Keep the harness's own calls. Default false. */
  includeHarness?: boolean;
  /** Keep SDK retries as separate entries. Default false: one entry per SDK call. */
  includeRetries?: boolean;
}

/** Clears the recording and starts recording every request the server receives. */
export async function startRecording(endpoint: string): Promise<void> {
  await recorderCall(endpoint, 'reset-recording', 'POST');
  await recorderCall(endpoint, 'start-recording', 'POST');
}

export async function stopRecording(endpoint: string): Promise<void> {
  await recorderCall(endpoint, 'stop-recording', 'POST');
}

/** Every AWS request received since startRecording, in arrival order. */
export async function recordedRequests(
  endpoint: string,
  options: RecordedActionsOptions = {},
): Promise<RecordedRequest[]> {
  const text = await recorderCall(endpoint, 'download-recording', 'GET');
  const requests: RecordedRequest[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as RecorderEntry;
    const request = toRecordedRequest(entry);
    if (!request) continue;
    if (!options.includeHarness && request.harness) continue;
    if (!options.includeRetries && request.attempt > 1) continue;
    requests.push(request);
  }
  return requests;
}

/** e.g. ['eks:DescribeCluster', 'ec2:DescribeRouteTables', 'sns:Publish'], in call order. */
export async function recordedActions(
  endpoint: string,
  options: RecordedActionsOptions = {},
): Promise<string[]> {
  return (await recordedRequests(endpoint, options)).map((request) => request.action);
}

/** The actions that are not reads (Describe*, List*, Get*): what a test allows only explicitly. */
export function nonReadActions(actions: readonly string[]): string[] {
  return actions.filter((action) => !/^[a-z0-9-]+:(Describe|List|Get|Lookup)[A-Z]/.test(action));
}

interface RecorderEntry {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: string | null;
  body_encoded?: boolean;
}

async function recorderCall(endpoint: string, path: string, method: 'GET' | 'POST'): Promise<string> {
  assertLoopback(endpoint);
  const response = await fetch(`${endpoint}/moto-api/recorder/${path}`, { method });
  const text = await response.text();
  if (!response.ok) {
    // download before any recording: moto tries to open a file that does not exist yet.
    if (path === 'download-recording' && response.status === 500) return '';
    throw new Error(`moto recorder ${path} failed: HTTP ${response.status} ${text.slice(0, 300)}`);
  }
  return text;
}

function toRecordedRequest(entry: RecorderEntry): RecordedRequest | undefined {
  const url = new URL(entry.url ?? 'http://invalid/');
  if (url.pathname.startsWith('/moto-api/')) return undefined;
  const headers = lowerCaseKeys(entry.headers ?? {});
  const method = (entry.method ?? 'GET').toUpperCase();
  // Credential=KEY/DATE/REGION/SERVICE/aws4_request
  const scope = /Credential=[^/]*\/[^/]*\/([^/]*)\/([^/]+)\//.exec(headers.authorization ?? '');
  const service = scope?.[2] ?? 'unknown';
  const region = scope?.[1] ?? 'unknown';
  const body = entry.body_encoded
    ? Buffer.from(entry.body ?? '', 'base64').toString('utf8')
    : (entry.body ?? '');
  const operation = operationOf(service, method, url, headers, body);
  const userAgent = `${headers['user-agent'] ?? ''} ${headers['x-amz-user-agent'] ?? ''}`;
  const attempt = Number(/attempt=(\d+)/.exec(headers['amz-sdk-request'] ?? '')?.[1] ?? '1');
  return {
    action: `${service}:${operation}`,
    service,
    region,
    operation,
    method,
    path: url.pathname,
    harness: userAgent.includes(HARNESS_USER_AGENT),
    invocationId: headers['amz-sdk-invocation-id'],
    attempt,
  };
}

function operationOf(
  service: string,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string,
): string {
  // JSON protocols (SQS, and most newer services): X-Amz-Target: AmazonSQS.ReceiveMessage
  const target = headers['x-amz-target'];
  if (target) return target.slice(target.lastIndexOf('.') + 1);
  // Query protocols (EC2, Auto Scaling, SNS, STS, IAM): Action=... in the form body or the query.
  const action = url.searchParams.get('Action') ?? new URLSearchParams(body).get('Action');
  if (action) return action;
  // REST-JSON (EKS): method + path.
  if (service === 'eks') {
    const path = decodeURIComponent(url.pathname);
    for (const route of EKS_ROUTES) {
      if (route.method === method && route.pattern.test(path)) return route.operation;
    }
  }
  return `${method} ${url.pathname}`;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}

/** Labels that hold ARNs: they may contain '/', which reaches moto decoded. */
const GREEDY_LABELS = new Set(['resourceArn', 'principalArn', 'policyArn']);

/**
 * The EKS REST routes, from @aws-sdk/client-eks 3.1169.0 (dist-es/schemas/schemas_0.js http
 * traits), one `METHOD path Operation` a line. Matched most specific first.
 */
const EKS_ROUTES = `
POST /clusters/{clusterName}/certificate-authorities/{certificateAuthorityId}/activate ActivateCertificateAuthority
POST /clusters/{clusterName}/access-entries/{principalArn}/access-policies AssociateAccessPolicy
POST /clusters/{clusterName}/encryption-config/associate AssociateEncryptionConfig
POST /clusters/{clusterName}/identity-provider-configs/associate AssociateIdentityProviderConfig
POST /clusters/{name}/updates/{updateId}/cancel-update CancelUpdate
POST /clusters/{clusterName}/access-entries CreateAccessEntry
POST /clusters/{clusterName}/addons CreateAddon
POST /clusters/{clusterName}/capabilities CreateCapability
POST /clusters/{clusterName}/certificate-authorities CreateCertificateAuthority
POST /clusters CreateCluster
POST /eks-anywhere-subscriptions CreateEksAnywhereSubscription
POST /clusters/{clusterName}/fargate-profiles CreateFargateProfile
POST /clusters/{clusterName}/node-groups CreateNodegroup
POST /clusters/{clusterName}/pod-identity-associations CreatePodIdentityAssociation
DELETE /clusters/{clusterName}/access-entries/{principalArn} DeleteAccessEntry
DELETE /clusters/{clusterName}/addons/{addonName} DeleteAddon
DELETE /clusters/{clusterName}/capabilities/{capabilityName} DeleteCapability
DELETE /clusters/{clusterName}/certificate-authorities/{certificateAuthorityId} DeleteCertificateAuthority
DELETE /clusters/{name} DeleteCluster
DELETE /eks-anywhere-subscriptions/{id} DeleteEksAnywhereSubscription
DELETE /clusters/{clusterName}/fargate-profiles/{fargateProfileName} DeleteFargateProfile
DELETE /clusters/{clusterName}/node-groups/{nodegroupName} DeleteNodegroup
DELETE /clusters/{clusterName}/pod-identity-associations/{associationId} DeletePodIdentityAssociation
DELETE /cluster-registrations/{name} DeregisterCluster
GET /clusters/{clusterName}/access-entries/{principalArn} DescribeAccessEntry
GET /clusters/{clusterName}/addons/{addonName} DescribeAddon
GET /addons/configuration-schemas DescribeAddonConfiguration
GET /addons/supported-versions DescribeAddonVersions
GET /clusters/{clusterName}/capabilities/{capabilityName} DescribeCapability
GET /clusters/{clusterName}/certificate-authorities/{certificateAuthorityId} DescribeCertificateAuthority
GET /clusters/{name} DescribeCluster
GET /cluster-versions DescribeClusterVersions
GET /eks-anywhere-subscriptions/{id} DescribeEksAnywhereSubscription
GET /clusters/{clusterName}/fargate-profiles/{fargateProfileName} DescribeFargateProfile
POST /clusters/{clusterName}/identity-provider-configs/describe DescribeIdentityProviderConfig
GET /clusters/{clusterName}/insights/{id} DescribeInsight
GET /clusters/{clusterName}/insights-refresh DescribeInsightsRefresh
GET /clusters/{clusterName}/node-groups/{nodegroupName} DescribeNodegroup
GET /clusters/{clusterName}/pod-identity-associations/{associationId} DescribePodIdentityAssociation
GET /clusters/{name}/updates/{updateId} DescribeUpdate
DELETE /clusters/{clusterName}/access-entries/{principalArn}/access-policies/{policyArn} DisassociateAccessPolicy
POST /clusters/{clusterName}/identity-provider-configs/disassociate DisassociateIdentityProviderConfig
GET /clusters/{clusterName}/access-entries ListAccessEntries
GET /access-policies ListAccessPolicies
GET /clusters/{clusterName}/addons ListAddons
GET /clusters/{clusterName}/access-entries/{principalArn}/access-policies ListAssociatedAccessPolicies
GET /clusters/{clusterName}/capabilities ListCapabilities
GET /clusters/{clusterName}/certificate-authorities ListCertificateAuthorities
GET /clusters ListClusters
GET /eks-anywhere-subscriptions ListEksAnywhereSubscriptions
GET /clusters/{clusterName}/fargate-profiles ListFargateProfiles
GET /clusters/{clusterName}/identity-provider-configs ListIdentityProviderConfigs
POST /clusters/{clusterName}/insights ListInsights
GET /clusters/{clusterName}/node-groups ListNodegroups
GET /clusters/{clusterName}/pod-identity-associations ListPodIdentityAssociations
GET /tags/{resourceArn} ListTagsForResource
GET /clusters/{name}/updates ListUpdates
POST /cluster-registrations RegisterCluster
POST /clusters/{clusterName}/insights-refresh StartInsightsRefresh
POST /tags/{resourceArn} TagResource
DELETE /tags/{resourceArn} UntagResource
POST /clusters/{clusterName}/access-entries/{principalArn} UpdateAccessEntry
POST /clusters/{clusterName}/addons/{addonName}/update UpdateAddon
POST /clusters/{clusterName}/capabilities/{capabilityName} UpdateCapability
POST /clusters/{name}/update-config UpdateClusterConfig
POST /clusters/{name}/updates UpdateClusterVersion
POST /eks-anywhere-subscriptions/{id} UpdateEksAnywhereSubscription
POST /clusters/{clusterName}/node-groups/{nodegroupName}/update-config UpdateNodegroupConfig
POST /clusters/{clusterName}/node-groups/{nodegroupName}/update-version UpdateNodegroupVersion
POST /clusters/{clusterName}/pod-identity-associations/{associationId} UpdatePodIdentityAssociation
`
  .trim()
  .split('\n')
  .map((line) => {
    const [method, template, operation] = line.split(' ');
    if (!method || !template || !operation) throw new Error(`malformed EKS route: ${line}`);
    const segments = template.split('/').filter(Boolean);
    const source = segments
      .map((segment) => {
        const label = /^\{(\w+)\}$/.exec(segment)?.[1];
        if (!label) return segment.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
        return GREEDY_LABELS.has(label) ? '.+' : '[^/]+';
      })
      .join('/');
    const literals = segments.filter((segment) => !segment.startsWith('{')).length;
    return { method, pattern: new RegExp(`^/${source}/?$`), operation, literals };
  })
  .sort((a, b) => b.literals - a.literals);
