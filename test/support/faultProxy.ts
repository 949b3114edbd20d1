/**
 * A fault-injecting HTTP proxy between the AWS SDK and moto_server. It forwards every request as it
 * came and relays moto's answer, unless a rule says otherwise: answer with an AWS-shaped error
 * without forwarding, carry the request out but lose its answer, rewrite the answer's body, or delay
 * it. This lets integration tests reproduce what moto never does by itself: permission errors, a
 * write that took effect although its answer was lost (the SDK then retries it), and resources in
 * states moto does not model (a `pending` NAT gateway, a `blackhole` route).
 *
 * Each request is named `service:Operation`, e.g. `ec2:CreateRoute` (see `identify`). A rule names
 * the requests it is for by that name, by service (`sns:*`), by `*` (every request) or by a list of
 * these; `every: N` makes it apply to the Nth, 2Nth, ... of them only, so
 * `{ operation: '*', kind: 'error', status: 503, code: 'ServiceUnavailable', every: 3, times: Infinity }`
 * fails every third call the tool makes, whatever it is, before it reaches moto.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertLoopback } from './motoServer.js';

export type FaultEffect =
  /** Not forwarded: answered with this error, shaped for the request's protocol. */
  | { kind: 'error'; status: number; code: string; message?: string }
  /** Forwarded (moto carries it out), then answered with HTTP 500 InternalError, or the socket destroyed. */
  | { kind: 'lose-response'; drop?: boolean }
  /** Forwarded, then moto's response body passed through `transform`. */
  | { kind: 'rewrite'; transform: (body: string) => string }
  /** Forwarded after `ms` milliseconds. */
  | { kind: 'delay'; ms: number };

export type FaultKind = FaultEffect['kind'];

export type FaultRule = FaultEffect & {
  /**
   * Which requests the rule is for: one operation ('ec2:CreateRoute',
   * 'autoscaling:TerminateInstanceInAutoScalingGroup', 'eks:DescribeNodegroup'), every operation of
   * a service ('sns:*'), every request ('*'), or a list of these (any of them).
   */
  operation: OperationPattern | readonly OperationPattern[];
  /** Only requests this returns true for match (and count toward `every`, and use up the rule). */
  when?: (request: AwsRequest) => boolean;
  /**
   * Apply to every Nth matching request only: the Nth, 2Nth, 3Nth, ..., counted per rule from when
   * it is added. The matching requests in between pass this rule by (a later rule may still apply to
   * them) and use up none of `times`. An SDK retry is a request of its own, so with N >= 2 the retry
   * of a call this rule failed is never failed by it too. Default 1: every matching request.
   */
  every?: number;
  /** How many requests the rule applies to. Default 1; Infinity until clearRules(). */
  times?: number;
};

/** `times` for a rule that applies to every matching request until clearRules(). */
export const EVERY_TIME = Number.POSITIVE_INFINITY;

/**
 * The refusal of a call the caller's IAM policy does not allow, as EC2 words it (403
 * UnauthorizedOperation), answered before the request reaches moto; once, unless `times` says more.
 */
export function unauthorized(
  operation: FaultRule['operation'],
  rule: Pick<FaultRule, 'when' | 'every' | 'times'> = {},
): FaultRule {
  return {
    operation,
    kind: 'error',
    status: 403,
    code: 'UnauthorizedOperation',
    message: 'You are not authorized to perform this operation.',
    ...rule,
  };
}

/** 'ec2:CreateRoute', 'ec2:*' (every operation of a service) or '*' (every request). */
export type OperationPattern = string;

/** How the request is encoded, which decides the shape of an error answer. */
export type AwsProtocol = 'ec2' | 'query' | 'json' | 'rest-json';

export interface AwsRequest {
  /** 'ec2:CreateRoute'; for an unknown REST route 'eks:GET /some/path'. */
  operation: string;
  /** The SigV4 signing name: ec2, autoscaling, eks, dynamodb, sns, sqs, ... or 'unknown'. */
  service: string;
  protocol: AwsProtocol;
  method: string;
  path: string;
  /**
   * Decoded parameters. Query protocols: the form fields, flattened as sent (`RouteTableId`,
   * `Filter.1.Name`). JSON protocols: the JSON body. REST-JSON: path labels (`clusterName`,
   * `nodegroupName`), query string and JSON body merged.
   */
  params: Record<string, unknown>;
}

export interface SeenRequest {
  operation: string;
  /** The effect of the rule that matched, if any. */
  fault: FaultKind | undefined;
}

export interface FaultProxy {
  /** The URL to give the SDK (endpoint / AWS_ENDPOINT_URL), e.g. http://127.0.0.1:41235 */
  endpoint: string;
  addRule(rule: FaultRule): void;
  clearRules(): void;
  /** Every request received, oldest first (SDK retries are separate entries). */
  requests(): SeenRequest[];
  clearRequests(): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  assertLoopback(upstream);
  const target = new URL(upstream);
  const rules: { rule: FaultRule; remaining: number; matched: number }[] = [];
  const seen: SeenRequest[] = [];

  /**
   * The first rule that matches and is due (see `every`) uses up one of its `times`; at most one
   * rule applies per request. A rule that matches but is not due counts the request and lets the
   * search go on.
   */
  const takeRule = (request: AwsRequest): FaultRule | undefined => {
    const index = rules.findIndex((active) => {
      const { rule } = active;
      if (!operationMatches(rule.operation, request.operation)) return false;
      if (!(rule.when?.(request) ?? true)) return false;
      active.matched += 1;
      return active.matched % (rule.every ?? 1) === 0;
    });
    const active = rules[index];
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) rules.splice(index, 1);
    return active.rule;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const request = identify(req, body.toString('utf8'));
    const rule = takeRule(request);
    seen.push({ operation: request.operation, fault: rule?.kind });

    if (rule?.kind === 'error') {
      send(res, errorReply(request, rule.status, rule.code, rule.message ?? `Injected ${rule.code}`));
      return;
    }
    if (rule?.kind === 'delay') await sleep(rule.ms);
    const reply = await forward(target, req, body, rule?.kind === 'rewrite');
    if (rule?.kind === 'lose-response') {
      if (rule.drop) {
        req.socket.destroy();
      } else {
        send(
          res,
          errorReply(request, 500, 'InternalError', 'We encountered an internal error. Please try again.'),
        );
      }
      return;
    }
    if (rule?.kind === 'rewrite') {
      reply.body = Buffer.from(rule.transform(reply.body.toString('utf8')), 'utf8');
      // DynamoDB's checksum of the original body would no longer match.
      delete reply.headers['x-amz-crc32'];
    }
    send(res, reply);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    addRule(rule) {
      const times = rule.times ?? 1;
      const every = rule.every ?? 1;
      const name = [rule.operation].flat().join(', ');
      if (!(times > 0)) throw new Error(`fault rule for ${name}: times must be > 0, got ${times}`);
      if (!Number.isInteger(every) || every < 1) {
        throw new Error(`fault rule for ${name}: every must be a whole number >= 1, got ${every}`);
      }
      for (const pattern of [rule.operation].flat()) {
        if (!/^(\*|[a-z0-9-]+:(\*|\S+))$/.test(pattern)) {
          throw new Error(`fault rule: "${pattern}" is not 'service:Operation', 'service:*' or '*'`);
        }
      }
      rules.push({ rule, remaining: times, matched: 0 });
    },
    clearRules: () => {
      rules.length = 0;
    },
    requests: () => seen.map((entry) => ({ ...entry })),
    clearRequests: () => {
      seen.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// --- identifying the operation -----------------------------------------------------------------

/** Whether `operation` ('ec2:CreateRoute') is one the rule's pattern(s) name. */
function operationMatches(patterns: OperationPattern | readonly OperationPattern[], operation: string) {
  return [patterns].flat().some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.endsWith(':*')) return operation.startsWith(pattern.slice(0, -1));
    return pattern === operation;
  });
}

function identify(req: http.IncomingMessage, body: string): AwsRequest {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://proxy');
  const service = signingService(req.headers.authorization ?? '', url) ?? 'unknown';
  const base = { service, method, path: url.pathname };

  // JSON protocols (DynamoDB, SQS in SDK v3): X-Amz-Target: DynamoDB_20120810.PutItem
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const operation = target.slice(target.lastIndexOf('.') + 1);
    return { ...base, protocol: 'json', operation: `${service}:${operation}`, params: jsonObject(body) };
  }

  // Query protocols (EC2, Auto Scaling, SNS, IAM, STS): Action=CreateRoute, in the form body or the query.
  const form = new URLSearchParams(url.search);
  if (String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(body)) form.append(key, value);
  }
  const action = form.get('Action');
  if (action) {
    const protocol = service === 'ec2' ? 'ec2' : 'query';
    return { ...base, protocol, operation: `${service}:${action}`, params: Object.fromEntries(form) };
  }

  // REST-JSON (EKS): method and path.
  const route = service === 'eks' ? matchEksRoute(method, url.pathname) : undefined;
  return {
    ...base,
    protocol: 'rest-json',
    operation: `${service}:${route?.operation ?? `${method} ${url.pathname}`}`,
    params: { ...Object.fromEntries(url.searchParams), ...route?.labels, ...jsonObject(body) },
  };
}

/**
 * The service from the SigV4 credential scope (`Credential=AKID/20240101/us-west-2/ec2/aws4_request`),
 * or from X-Amz-Credential for a presigned URL: every query service posts to the same path with
 * the same content type, so the scope is what tells EC2 from Auto Scaling or SNS.
 */
function signingService(authorization: string, url: URL): string | undefined {
  const credential =
    /Credential=([^,\s]+)/.exec(authorization)?.[1] ?? url.searchParams.get('X-Amz-Credential') ?? '';
  return /^[^/]*\/\d{8}\/[^/]+\/([^/]+)\/aws4_request$/.exec(credential)?.[1];
}

/** Path templates from @aws-sdk/client-eks's http traits: the routes this project and its tests use. */
const EKS_ROUTES = (
  [
    ['GET', '/clusters', 'ListClusters'],
    ['POST', '/clusters', 'CreateCluster'],
    ['GET', '/clusters/{name}', 'DescribeCluster'],
    ['DELETE', '/clusters/{name}', 'DeleteCluster'],
    ['POST', '/clusters/{name}/update-config', 'UpdateClusterConfig'],
    ['GET', '/clusters/{name}/updates/{updateId}', 'DescribeUpdate'],
    ['GET', '/clusters/{clusterName}/node-groups', 'ListNodegroups'],
    ['POST', '/clusters/{clusterName}/node-groups', 'CreateNodegroup'],
    ['GET', '/clusters/{clusterName}/node-groups/{nodegroupName}', 'DescribeNodegroup'],
    ['DELETE', '/clusters/{clusterName}/node-groups/{nodegroupName}', 'DeleteNodegroup'],
    ['POST', '/clusters/{clusterName}/node-groups/{nodegroupName}/update-config', 'UpdateNodegroupConfig'],
    ['POST', '/clusters/{clusterName}/node-groups/{nodegroupName}/update-version', 'UpdateNodegroupVersion'],
    ['GET', '/clusters/{clusterName}/addons/{addonName}', 'DescribeAddon'],
    ['GET', '/clusters/{clusterName}/access-entries/{principalArn}', 'DescribeAccessEntry'],
    ['GET', '/tags/{resourceArn}', 'ListTagsForResource'],
    ['POST', '/tags/{resourceArn}', 'TagResource'],
  ] as const
).map(([method, template, operation]) => ({
  method,
  operation,
  // Labels never hold a raw '/': the SDK percent-encodes it (ARNs), so one segment per label.
  pattern: new RegExp(`^${template.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}/?$`),
}));

function matchEksRoute(method: string, path: string) {
  for (const route of EKS_ROUTES) {
    const match = route.method === method ? route.pattern.exec(path) : null;
    if (!match) continue;
    const labels = Object.fromEntries(
      Object.entries(match.groups ?? {}).map(([label, value]) => [label, decodeURIComponent(value)]),
    );
    return { operation: route.operation, labels };
  }
  return undefined;
}

function jsonObject(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

// --- answers -----------------------------------------------------------------------------------

/** An error in the shape the SDK's deserializer for that protocol reads its `name` (the code) from. */
function errorReply(request: AwsRequest, status: number, code: string, message: string): Reply {
  const requestId = randomUUID();
  const error = `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>`;
  const xml = (text: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${text}`);
  switch (request.protocol) {
    case 'ec2':
      return {
        status,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body: xml(
          `<Response><Errors><Error>${error}</Error></Errors><RequestID>${requestId}</RequestID></Response>`,
        ),
      };
    case 'query': {
      const type = status >= 500 ? 'Receiver' : 'Sender';
      return {
        status,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: xml(
          `<ErrorResponse><Error><Type>${type}</Type>${error}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        ),
      };
    }
    case 'json':
    case 'rest-json':
      return {
        status,
        headers: {
          'content-type': request.protocol === 'json' ? 'application/x-amz-json-1.0' : 'application/json',
          'x-amzn-errortype': code,
          'x-amzn-requestid': requestId,
        },
        body: Buffer.from(JSON.stringify({ __type: code, message })),
      };
  }
}

const XML_ENTITIES: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  '"': '&quot;',
  "'": '&apos;',
};

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => XML_ENTITIES[char] ?? char);
}

/** Headers about one connection or the body's framing: not passed on, each side sets its own. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'content-length'];

function send(res: http.ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-length': reply.body.length,
    // One request per connection, as moto does: the SDK never reuses a socket that is about to
    // close (or that `drop` destroys) and so never sees a fault nobody injected.
    connection: 'close',
  });
  res.end(reply.body);
}

/**
 * Sends the request to moto as it came, Host header included: moto builds URLs it hands back (an
 * SQS QueueUrl) from the Host, so they keep pointing at the proxy.
 */
function forward(
  target: URL,
  req: http.IncomingMessage,
  body: Buffer,
  wantPlainText: boolean,
): Promise<Reply> {
  const headers = { ...req.headers };
  for (const name of HOP_BY_HOP) delete headers[name];
  // The body was read whole: send it with a length, not in chunks.
  if (body.length > 0 || req.headers['content-length'] !== undefined) {
    headers['content-length'] = String(body.length);
  }
  // A body to rewrite must come back uncompressed.
  if (wantPlainText) delete headers['accept-encoding'];
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      {
        hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        // moto closes every connection after its answer anyway: nothing to pool.
        agent: false,
      },
      (response) => {
        const relayed = { ...response.headers };
        for (const name of HOP_BY_HOP) delete relayed[name];
        readBody(response).then(
          (responseBody) =>
            resolve({ status: response.statusCode ?? 502, headers: relayed, body: responseBody }),
          reject,
        );
      },
    );
    upstream.once('error', reject);
    upstream.end(body);
  });
}

async function readBody(stream: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
