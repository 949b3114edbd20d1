/**
 * Reads the Nodes that name a nodegroup's instances from the cluster's Kubernetes API with an
 * IAM-signed EKS token. Membership never rests on labels alone: the nodegroup label is only the cheap
 * first read; an instance it does not find is looked for by `spec.providerID` in the cluster's whole
 * node list (nodes of a custom AMI with their own bootstrap may register without the label).
 * Failures to reach or to be admitted by the API server are answers, not exceptions: they come back
 * as `{ kind: 'unknown' }` so the check can say which access is missing.
 *
 * Every read is bounded, so a broken or hostile API server cannot hold the check or its memory: a
 * deadline per request (connect to the last byte of the body), a cap on the bytes of each response,
 * a cap on the pages of one list, and a repeated `continue` token ends the list. Each bound that
 * trips makes the read unknown, saying which.
 */
import http from 'node:http';
import https from 'node:https';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { ConfigError, KubernetesCallError } from '../core/model/errors.js';
import { type Log, type MembershipReader, silentLog } from '../core/model/ports.js';
import type { Cluster, ClusterNode, Membership } from '../core/model/types.js';
import { Memo } from '../Memo.js';
import { createEksToken } from './eksToken.js';

const NODEGROUP_LABEL = 'eks.amazonaws.com/nodegroup';
const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_PAGE_SIZE = 500;
/** 500 000 nodes at the default page size: far past any cluster, short of a paginator that never ends. */
const DEFAULT_MAX_PAGES = 1000;
/**
 * 16 MiB: a page of 500 real Nodes is about 2-3 MiB of JSON (an aws-auth ConfigMap far less), so
 * this leaves ample room while keeping a runaway body from filling the Lambda's memory.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Tokens are honoured for 15 minutes after signing; renewing after 10 leaves room for clock skew. */
const TOKEN_REUSE_MS = 10 * 60 * 1000;
/** How much of an unexpected response body to quote in a detail. */
const QUOTED_BODY_CHARS = 200;

export interface KubernetesNodeReaderOptions {
  credentials: AwsCredentialIdentityProvider;
  /**
   * KUBERNETES_API_URL: replaces the cluster endpoint, e.g. a local stub or `kubectl proxy`; the only
   * way to use plain http. An https override is still verified against the cluster CA.
   */
  apiUrlOverride?: string;
  /** Per request, from connect to the last byte of the body. */
  timeoutMs?: number;
  /** `limit` of each list call; the reader follows `continue` until the list is complete. */
  pageSize?: number;
  /** Pages one list may take before the reader gives up on it (membership then unknown). Default 1000. */
  maxPages?: number;
  /**
   * Bytes one response body may have (node list page or ConfigMap, error answers too). Past it the
   * reader stops reading, drops the connection and the read is unknown. Default 16 MiB.
   */
  maxResponseBytes?: number;
  log?: Log;
}

/** Options of one `listNodes` call (see MembershipReader). */
export interface ListNodesOptions {
  /** Read the cluster's whole node list anew even when the session has it (e.g. right before recycling). */
  fresh?: boolean;
}

/**
 * The whole node list of each cluster read in one session, by region/cluster. Holds the promise so
 * concurrent nodegroups of a cluster share one read; a failed read is not kept, so the next nodegroup
 * asks again rather than inherit the failure.
 */
type WholeListCache = Memo<Promise<Membership>>;

/**
 * One ConfigMap read by name. `absent` is a definite answer (the API server admitted the caller and
 * has no such object); `unknown` means it could not be read (refused, unreachable, malformed).
 */
export type ConfigMapRead =
  | { kind: 'found'; data: Record<string, string> }
  | { kind: 'absent' }
  | { kind: 'unknown'; status?: number; detail: string };

export interface ProviderId {
  availabilityZone: string;
  instanceId: string;
}

/** `aws:///us-west-2a/i-0123456789abcdef0` → its zone and instance id; other providers → undefined. */
export function parseProviderId(providerId: string): ProviderId | undefined {
  const match = /^aws:\/\/\/([a-z0-9-]+)\/(i-[0-9a-f]+)$/.exec(providerId);
  return match ? { availabilityZone: match[1] as string, instanceId: match[2] as string } : undefined;
}

export class KubernetesNodeReader implements MembershipReader {
  readonly #credentials: AwsCredentialIdentityProvider;
  readonly #apiUrlOverride: string | undefined;
  readonly #timeoutMs: number;
  readonly #pageSize: number;
  readonly #maxPages: number;
  readonly #maxResponseBytes: number;
  readonly #log: Log;
  /** Keyed by region and cluster name; holds the promise so concurrent nodegroups share one signing. */
  readonly #tokens = new Memo<Promise<string>>({ maxAgeMs: TOKEN_REUSE_MS });

  constructor(options: KubernetesNodeReaderOptions) {
    if (options.apiUrlOverride !== undefined && !/^https?:\/\/[^/]/.test(options.apiUrlOverride)) {
      throw new ConfigError(`KUBERNETES_API_URL must be an http(s) URL, got "${options.apiUrlOverride}"`);
    }
    this.#credentials = options.credentials;
    this.#apiUrlOverride = options.apiUrlOverride;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.#maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (!(this.#maxResponseBytes > 0)) {
      throw new ConfigError(`maxResponseBytes must be a positive number, got ${options.maxResponseBytes}`);
    }
    this.#log = options.log ?? silentLog;
  }

  /**
   * The Nodes that name the given instances (see MembershipReader). Called on the reader itself it
   * keeps nothing between calls: every call that needs the cluster's whole node list reads it. For
   * one read per cluster across several nodegroups, call `listNodes` on a `session()`.
   */
  listNodes(
    cluster: Cluster,
    nodegroupName: string,
    instanceIds: string[],
    options: ListNodesOptions = {},
  ): Promise<Membership> {
    return this.#membership(cluster, nodegroupName, instanceIds, options, undefined);
  }

  /**
   * A MembershipReader for one unit of work (a Lambda invocation, a CLI run): it shares this reader's
   * tokens and HTTP settings, and reads each cluster's whole node list at most once, unless a call
   * asks for `fresh`. Let it go with the unit of work: what it holds is never refreshed.
   */
  session(): MembershipReader {
    const wholeLists: WholeListCache = new Memo({ keep: (list) => list.kind !== 'unknown' });
    return {
      listNodes: (cluster, nodegroupName, instanceIds, options = {}) =>
        this.#membership(cluster, nodegroupName, instanceIds, options, wholeLists),
    };
  }

  async #membership(
    cluster: Cluster,
    nodegroupName: string,
    instanceIds: string[],
    options: ListNodesOptions,
    wholeLists: WholeListCache | undefined,
  ): Promise<Membership> {
    const membership = await this.#readMembership(cluster, nodegroupName, instanceIds, options, wholeLists);
    if (membership.kind === 'unknown') {
      this.#log.warn('Could not list nodes', {
        cluster: cluster.name,
        nodegroup: nodegroupName,
        ...membership,
      });
    }
    return membership;
  }

  /**
   * The nodegroup's labelled Nodes, plus, when some instance is not among them, the Nodes of the
   * whole list whose provider ID names a missing instance. Either read failing makes it unknown.
   */
  async #readMembership(
    cluster: Cluster,
    nodegroupName: string,
    instanceIds: string[],
    { fresh = false }: ListNodesOptions,
    wholeLists: WholeListCache | undefined,
  ): Promise<Membership> {
    const labelled = await this.#readNodeList(cluster, `${NODEGROUP_LABEL}=${nodegroupName}`);
    if (labelled.kind === 'unknown') return labelled;
    const byLabel = new Set(labelled.nodes.map((n) => n.instanceId));
    const missing = new Set(instanceIds.filter((id) => !byLabel.has(id)));
    if (missing.size === 0) return labelled;

    const whole = await this.#wholeList(cluster, fresh, wholeLists);
    if (whole.kind === 'unknown') return whole;
    const found = whole.nodes.filter((n) => n.instanceId !== undefined && missing.has(n.instanceId));
    this.#log.debug('Looked for instances without a labelled Node in the whole node list', {
      cluster: cluster.name,
      nodegroup: nodegroupName,
      missing: missing.size,
      foundByProviderId: found.map((n) => n.name),
    });
    return { kind: 'known', nodes: uniqueByName([...labelled.nodes, ...found]) };
  }

  /** The cluster's whole node list: from the session when it has it (and not `fresh`), else read. */
  #wholeList(cluster: Cluster, fresh: boolean, wholeLists: WholeListCache | undefined): Promise<Membership> {
    const read = () =>
      this.#readNodeList(cluster, undefined).then(
        (list): Membership =>
          list.kind === 'unknown' ? { ...list, detail: `whole node list: ${list.detail}` } : list,
      );
    const key = tokenKey(cluster);
    if (!wholeLists) return read();
    return fresh ? wholeLists.set(key, read()) : wholeLists.get(key, read);
  }

  /**
   * One ConfigMap by name (e.g. kube-system/aws-auth), with the same endpoint, token and TLS rules as
   * the node list. Never throws: a refusal, an unreachable server or a token that cannot be signed is
   * `unknown` (logged at debug), a 404 is `absent`.
   */
  async readConfigMap(cluster: Cluster, namespace: string, name: string): Promise<ConfigMapRead> {
    const read = await this.#fetchConfigMap(cluster, namespace, name).catch(
      (error: unknown): ConfigMapRead => ({
        kind: 'unknown',
        detail: (error as Error)?.message ?? String(error),
      }),
    );
    const keys = { cluster: cluster.name, configMap: `${namespace}/${name}` };
    if (read.kind === 'unknown') this.#log.debug('Could not read a ConfigMap', { ...keys, ...read });
    else this.#log.debug('Read a ConfigMap', { ...keys, found: read.kind === 'found' });
    return read;
  }

  async #fetchConfigMap(cluster: Cluster, namespace: string, name: string): Promise<ConfigMapRead> {
    const target = await this.#target(cluster);
    if ('unreachable' in target) return { kind: 'unknown', detail: target.unreachable };
    const url = `${target.endpoint.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`;
    let response: HttpResponse;
    try {
      response = await httpGet(url, target.headers, target.ca, this.#limits());
    } catch (error) {
      return { kind: 'unknown', detail: describeRequestError(error) };
    }
    if (response.status === 404 && isNotFoundStatus(response.body, name)) return { kind: 'absent' };
    if (response.status !== 200) {
      if (response.status === 401) this.#tokens.delete(tokenKey(cluster));
      const message = statusMessage(response.body) ?? response.body.trim().slice(0, QUOTED_BODY_CHARS);
      return {
        kind: 'unknown',
        status: response.status,
        detail: `HTTP ${response.status}${message ? `: ${message}` : ''}`,
      };
    }
    return parseConfigMap(response.body);
  }

  /** Where to send requests for a cluster and with which headers, or why nothing can be sent. */
  async #target(
    cluster: Cluster,
  ): Promise<
    | { endpoint: string; headers: Record<string, string>; ca: string | undefined }
    | { unreachable: string; endpoint: string }
  > {
    const endpoint = this.#apiUrlOverride ?? cluster.endpoint;
    if (!endpoint) {
      return {
        endpoint: '',
        unreachable: 'the cluster reports no API server endpoint (is it still being created?)',
      };
    }
    if (!this.#apiUrlOverride && !endpoint.startsWith('https://')) {
      return {
        endpoint,
        unreachable: 'refusing a non-https API server endpoint (plain http only via KUBERNETES_API_URL)',
      };
    }
    const authorization = `Bearer ${await this.#token(cluster)}`;
    const ca = cluster.certificateAuthority
      ? Buffer.from(cluster.certificateAuthority, 'base64').toString('utf8')
      : undefined;
    return { endpoint, headers: { authorization, accept: 'application/json' }, ca };
  }

  /**
   * One node list, every page of it: with a label selector, or the whole list without one. A server
   * that repeats a continue token, or pages past `maxPages`, makes it unknown rather than loop.
   */
  async #readNodeList(cluster: Cluster, labelSelector: string | undefined): Promise<Membership> {
    const target = await this.#target(cluster);
    if ('unreachable' in target) return unreachable(target.endpoint, target.unreachable);
    const { endpoint, headers, ca } = target;
    const base =
      `${endpoint.replace(/\/+$/, '')}/api/v1/nodes?` +
      (labelSelector === undefined ? '' : `labelSelector=${encodeURIComponent(labelSelector)}&`) +
      `limit=${this.#pageSize}`;
    const nodes: ClusterNode[] = [];
    const seenTokens = new Set<string>();
    let continueToken: string | undefined;
    let pages = 0;
    do {
      if (pages >= this.#maxPages) {
        return unreachable(
          endpoint,
          `gave up after ${pages} pages of the node list: the API server kept returning continue tokens`,
        );
      }
      const url = base + (continueToken ? `&continue=${encodeURIComponent(continueToken)}` : '');
      let response: HttpResponse;
      try {
        response = await httpGet(url, headers, ca, this.#limits());
      } catch (error) {
        return unreachable(endpoint, describeRequestError(error));
      }
      if (response.status !== 200) {
        // A rejected token may be stale or signed for the wrong identity: sign afresh next time.
        if (response.status === 401) this.#tokens.delete(tokenKey(cluster));
        return refusal(endpoint, response);
      }
      const page = parseNodeList(response.body);
      if ('malformed' in page) return unreachable(endpoint, `malformed NodeList response: ${page.malformed}`);
      nodes.push(...page.nodes);
      pages += 1;
      continueToken = page.continueToken;
      if (continueToken !== undefined) {
        if (seenTokens.has(continueToken)) {
          return unreachable(
            endpoint,
            `the API server repeated its continue token after ${pages} pages of the node list`,
          );
        }
        seenTokens.add(continueToken);
      }
    } while (continueToken);
    this.#log.debug('Listed nodes', {
      cluster: cluster.name,
      labelSelector: labelSelector ?? '(none: whole list)',
      nodes: nodes.length,
      pages,
    });
    return { kind: 'known', nodes: uniqueByName(nodes) };
  }

  #limits(): RequestLimits {
    return { timeoutMs: this.#timeoutMs, maxBytes: this.#maxResponseBytes };
  }

  /** Failures to sign (no credentials) are not a membership verdict: they throw KubernetesCallError. */
  #token(cluster: Cluster): Promise<string> {
    return this.#tokens.get(tokenKey(cluster), () =>
      createEksToken({
        clusterName: cluster.name,
        region: cluster.region,
        credentials: this.#credentials,
      }).catch((error: unknown) => {
        throw new KubernetesCallError(
          `Could not sign an EKS token for cluster ${cluster.name}: ${(error as Error)?.message ?? String(error)}`,
          { cause: error },
        );
      }),
    );
  }
}

function tokenKey(cluster: Cluster): string {
  return `${cluster.region}/${cluster.name}`;
}

/** The first Node of each name, in order. */
function uniqueByName(nodes: ClusterNode[]): ClusterNode[] {
  const seen = new Set<string>();
  return nodes.filter((node) => !seen.has(node.name) && seen.add(node.name));
}

function unreachable(endpoint: string, detail: string, status?: number): Membership {
  return {
    kind: 'unknown',
    reason: 'unreachable',
    detail,
    endpoint,
    ...(status !== undefined && { status }),
  };
}

/**
 * 401: the token is valid IAM but the identity has no access entry in the cluster.
 * 403: the identity is admitted but RBAC does not let it list nodes.
 * Anything else is the API server failing, which to the check is the same as not reaching it.
 */
function refusal(endpoint: string, { status, body }: HttpResponse): Membership {
  const message = statusMessage(body);
  if (status === 401 || status === 403) {
    return { kind: 'unknown', reason: 'forbidden', status, detail: message ?? `HTTP ${status}`, endpoint };
  }
  const quoted = message ?? body.trim().slice(0, QUOTED_BODY_CHARS);
  return unreachable(endpoint, `HTTP ${status}${quoted ? `: ${quoted}` : ''}`, status);
}

/** The message of a Kubernetes `Status` object, if the body is one. */
function statusMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { kind?: unknown; message?: unknown };
    return parsed.kind === 'Status' && typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The API server's own answer that the object does not exist: a NotFound Status naming it. A bare
 * 404, or a Status about something else, comes from another server (a proxy, a wrong URL) and proves
 * nothing about the object.
 */
function isNotFoundStatus(body: string, name: string): boolean {
  try {
    const status = JSON.parse(body) as { kind?: unknown; reason?: unknown; details?: { name?: unknown } };
    return status?.kind === 'Status' && status.reason === 'NotFound' && status.details?.name === name;
  } catch {
    return false;
  }
}

function parseConfigMap(body: string): ConfigMapRead {
  let parsed: { kind?: unknown; data?: unknown };
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return {
      kind: 'unknown',
      detail: `malformed ConfigMap response: not JSON (${(error as Error).message})`,
    };
  }
  if (parsed?.kind !== 'ConfigMap') {
    return {
      kind: 'unknown',
      detail: `malformed ConfigMap response: expected kind ConfigMap, got ${JSON.stringify(parsed?.kind)}`,
    };
  }
  const data: Record<string, string> = {};
  if (parsed.data && typeof parsed.data === 'object') {
    for (const [key, value] of Object.entries(parsed.data as Record<string, unknown>)) {
      if (typeof value === 'string') data[key] = value;
    }
  }
  return { kind: 'found', data };
}

interface NodeListPage {
  nodes: ClusterNode[];
  continueToken?: string;
}

/** The parts of a v1 Node this reader looks at, as they may arrive: nothing is trusted to be present. */
interface RawNode {
  metadata?: { name?: unknown; labels?: Record<string, unknown>; creationTimestamp?: unknown };
  spec?: { providerID?: unknown };
  status?: { conditions?: { type?: unknown; status?: unknown; reason?: unknown; message?: unknown }[] };
}

function parseNodeList(body: string): NodeListPage | { malformed: string } {
  let list: { kind?: unknown; items?: unknown; metadata?: { continue?: unknown } };
  try {
    list = JSON.parse(body);
  } catch (error) {
    return {
      malformed: `not JSON (${(error as Error).message}): ${body.trim().slice(0, QUOTED_BODY_CHARS)}`,
    };
  }
  if (list?.kind !== 'NodeList' || !Array.isArray(list.items)) {
    return {
      malformed: `expected kind NodeList with an items array, got kind ${JSON.stringify(list?.kind)}`,
    };
  }
  const nodes: ClusterNode[] = [];
  for (const item of list.items as RawNode[]) {
    const name = item?.metadata?.name;
    if (typeof name !== 'string') return { malformed: 'a Node item has no metadata.name' };
    nodes.push(toClusterNode(name, item));
  }
  const next = list.metadata?.continue;
  return { nodes, ...(typeof next === 'string' && next && { continueToken: next }) };
}

function toClusterNode(name: string, item: RawNode): ClusterNode {
  const providerId = typeof item.spec?.providerID === 'string' ? item.spec.providerID : undefined;
  const instanceId = providerId ? parseProviderId(providerId)?.instanceId : undefined;
  const nodegroup = item.metadata?.labels?.[NODEGROUP_LABEL];
  const conditions = Array.isArray(item.status?.conditions) ? item.status.conditions : [];
  const ready = conditions.some((c) => c?.type === 'Ready' && c.status === 'True');
  const readyCondition = conditions.find((c) => c?.type === 'Ready');
  // Why a node is not Ready is what its Ready condition says (e.g. the CNI not initialised).
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
  const readyReason = ready ? undefined : text(readyCondition?.reason);
  const readyMessage = ready ? undefined : text(readyCondition?.message);
  const createdAt = text(item.metadata?.creationTimestamp);
  return {
    name,
    ...(providerId && { providerId }),
    ...(instanceId && { instanceId }),
    ready,
    ...(readyReason && { readyReason }),
    ...(readyMessage && { readyMessage }),
    ...(createdAt && { createdAt }),
    ...(typeof nodegroup === 'string' && { nodegroup }),
  };
}

interface HttpResponse {
  status: number;
  body: string;
}

interface RequestLimits {
  /** From the request's start to the last byte of the body. */
  timeoutMs: number;
  /** Bytes of the body. */
  maxBytes: number;
}

/** Rejects a response past `maxBytes`; its message is the whole detail (no code in front). */
class ResponseTooLargeError extends Error {
  constructor(maxBytes: number, announced?: number) {
    super(
      announced === undefined
        ? `the response exceeded ${maxBytes} bytes (maxResponseBytes): stopped reading it`
        : `the response exceeded ${maxBytes} bytes (maxResponseBytes): Content-Length ${announced}, not read`,
    );
    this.name = 'ResponseTooLargeError';
  }
}

/**
 * One GET with a deadline covering connect, TLS and the whole body, and a cap on the body's bytes:
 * a response that announces more (Content-Length) is not read at all, one that streams more is
 * read no further; either way the connection is destroyed. With `ca` only that CA is trusted (the
 * cluster's own), and the certificate and host name are always verified.
 */
function httpGet(
  url: string,
  headers: Record<string, string>,
  ca: string | undefined,
  { timeoutMs, maxBytes }: RequestLimits,
) {
  return new Promise<HttpResponse>((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    let settled = false;
    // Settles once; the errors the destroyed socket emits afterwards no longer change the outcome.
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: Error) => settle(() => reject(error));
    const giveUp = (error: Error) => {
      fail(error);
      request.destroy();
    };
    const request = client.request(target, { method: 'GET', headers, ...(ca && { ca }) }, (response) => {
      response.on('error', fail);
      const announced = Number(response.headers['content-length']);
      if (Number.isFinite(announced) && announced > maxBytes) {
        giveUp(new ResponseTooLargeError(maxBytes, announced));
        return;
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        if (settled) return;
        bytes += chunk.length;
        if (bytes > maxBytes) {
          chunks.length = 0;
          giveUp(new ResponseTooLargeError(maxBytes));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () =>
        settle(() =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        ),
      );
    });
    const timer = setTimeout(
      () => giveUp(Object.assign(new Error(`no response within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    request.on('error', fail);
    request.end();
  });
}

/** Names the error code first: it is what tells a closed port from a filtered one from a wrong CA. */
function describeRequestError(error: unknown): string {
  if (error instanceof ResponseTooLargeError) return error.message;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  if (typeof code !== 'string') return text;
  return isTlsError(code, text) ? `TLS ${code}: ${text}` : `${code}: ${text}`;
}

function isTlsError(code: string, message: string): boolean {
  return /CERT|SIGNATURE|ISSUER|^ERR_TLS|^ERR_SSL|^EPROTO$/.test(code) || /certificate/i.test(message);
}
