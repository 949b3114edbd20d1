import type { BootEvidence, BootSignature, Finding, FindingCode } from '../model/types.js';

/**
 * What an unjoined instance's console output says, reduced to evidence: scrubbed of secrets, cut to
 * the last relevant lines, with the failure signatures they show and how those bear on the findings.
 * Pure: the text comes in, the evidence goes out.
 */

/** The kept lines, joined by newlines, are never longer than this in UTF-8: an alert has little room. */
export const BOOT_EVIDENCE_MAX_BYTES = 400;

const REDACTED = '[redacted]';
const MAX_INPUT_CHARS = 256 * 1024;

/** Findings that say the node cannot get out to the cluster endpoint, ECR or STS. */
const NETWORK_FINDINGS: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'NO_DEFAULT_ROUTE',
  'BLACKHOLE_DEFAULT_ROUTE',
  'NO_PUBLIC_IP',
  'MISSING_VPC_ENDPOINTS',
  'ENDPOINT_ACCESS_EXCLUDES_NODES',
  'NACL_BLOCKS_EGRESS',
  'SECURITY_GROUP_BLOCKS_EGRESS',
  'VPC_DNS_DISABLED',
]);

/** Findings that say the node gets there but is not let in. */
const IDENTITY_FINDINGS: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'NODE_ROLE_NOT_AUTHORIZED',
  'NODE_ROLE_MISSING_POLICY',
]);

/** The evidence of one instance's console output, judged against the check's findings. */
export function bootEvidenceOf(
  instanceId: string,
  output: { text: string; at?: string },
  findings: Finding[],
): BootEvidence {
  const lines = relevantLines(output.text);
  const signatures = bootSignatures(lines);
  return {
    instanceId,
    lines: lastWithin(lines, BOOT_EVIDENCE_MAX_BYTES),
    signatures,
    verdict: bootVerdict(signatures, findings),
    ...(output.at && { at: output.at }),
  };
}

// --- Secrets ----------------------------------------------------------------------------------------

/**
 * Secret-looking text, in the order it is replaced: whole blocks first, then the shapes of known
 * tokens, then labelled values, then anything long and random enough to be a key.
 */
const SECRET_PATTERNS: { pattern: RegExp; replace: string | ((...groups: string[]) => string) }[] = [
  // PEM blocks (keys, certificates, SSH host keys); a block cut off by the end of the output too.
  { pattern: /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g, replace: REDACTED },
  // The EKS bearer token: a presigned STS URL, base64url-encoded.
  { pattern: /k8s-aws-v1\.[A-Za-z0-9_\-.=]*/g, replace: REDACTED },
  // JWTs (service-account tokens, OIDC): three base64url parts, or a lone header.
  { pattern: /eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,2}/g, replace: REDACTED },
  // Authorization headers: keep the scheme, drop the credential.
  {
    pattern: /\b(Bearer\s+|Basic\s+(?=[A-Za-z0-9+/]{8}))[A-Za-z0-9\-._~+/]+=*/gi,
    replace: (_m, scheme) => `${scheme}${REDACTED}`,
  },
  // AWS access key ids (long-term AKIA, temporary ASIA, and the other principal prefixes).
  {
    pattern: /(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/g,
    replace: REDACTED,
  },
  // Labelled secrets, any separator: aws_secret_access_key=…, AWS_SESSION_TOKEN: …, "SecretAccessKey": "…", password=….
  {
    pattern:
      /((?:["']?)(?:aws[_-]?)?(?:secret[_-]?access[_-]?key|session[_-]?token|security[_-]?token|secret[_-]?key|client[_-]?secret|password|passwd|private[_-]?key)(?:["']?)\s*[:=]\s*)("[^"\n]*"|'[^'\n]*'|[^\s"',;}&]+)/gi,
    replace: (_m, label) => `${label}${REDACTED}`,
  },
  // Other labelled values, with `=` only (`token: ` is how logs say what failed, not a value):
  // token=…, X-Amz-Signature=…, X-Amz-Credential=…, api_key=….
  {
    pattern:
      /((?:["']?)[\w.-]{0,40}?(?:token|secret|signature|credential|api[_-]?key|apikey)["']?\s*=\s*)("[^"\n]*"|'[^'\n]*'|[^\s"',;}&]+)/gi,
    replace: (_m, label) => `${label}${REDACTED}`,
  },
  // JSON members whose name says secret: "Token": "…", "SessionToken": "…".
  {
    pattern:
      /("[\w.-]{0,40}?(?:token|secret|password|credential|signature)[\w.-]{0,40}"\s*:\s*)("[^"\n]*")/gi,
    replace: (_m, label) => `${label}${REDACTED}`,
  },
  // Long hex runs (key material, digests, signatures).
  { pattern: /(?<![A-Za-z0-9])[A-Fa-f0-9]{32,}(?![A-Za-z0-9])/g, replace: REDACTED },
  // Long base64 runs that mix letter cases or letters and digits (secret keys, session tokens, key bodies).
  {
    pattern: /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{32,}={0,2}/g,
    replace: (run) => (looksRandom(run) ? REDACTED : run),
  },
];

/** Two of upper case, lower case and digits: a key, not a word or a path. */
function looksRandom(run: string): boolean {
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/].filter((c) => c.test(run)).length;
  return classes >= 2;
}

/** Replaces anything that looks like a token, key, password or certificate with `[redacted]`. */
export function scrubSecrets(text: string): string {
  let scrubbed = text;
  for (const { pattern, replace } of SECRET_PATTERNS) {
    scrubbed = scrubbed.replace(pattern, replace as (substring: string, ...groups: string[]) => string);
  }
  return scrubbed;
}

/**
 * Removes ANSI escapes and control characters (tabs become spaces).
 * Done before the scrub: an escape inside a key would otherwise hide it from the patterns.
 */
function stripControl(text: string): string {
  let stripped = text
    // A lone carriage return overwrites the line on a terminal; as a break it could split a key in two.
    .replace(/\r\n/g, '\n')
    .replace(/\r/g, '')
    .replace(/\t/g, ' ')
    .replace(CONTROL_CHARACTERS, '');
  // Again while any is left: a sequence inside another leaves the outer one's tail behind otherwise.
  // Bounded: each pass may remove only one level, and a console of nothing but escapes is no evidence.
  for (let previous = '', pass = 0; stripped !== previous && pass < MAX_ESCAPE_NESTING; pass++) {
    previous = stripped;
    stripped = stripped.replace(ANSI_SEQUENCE, '');
  }
  return stripped.replace(ESCAPE_AND_BELL, '');
}

const MAX_ESCAPE_NESTING = 8;
/** C0 and C1 controls but the newline, ESC and BEL (parts of ANSI sequences), and Unicode line and bidi controls. */
const CONTROL_CHARACTERS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is what it is for.
  /[\u0000-\u0006\u0008\u0009\u000b-\u001a\u001c-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** CSI (colours, cursor), OSC (titles) and the two-character escapes. */
const ANSI_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escapes is what it is for.
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\^_]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: what is left of broken sequences.
const ESCAPE_AND_BELL = /[\u001b\u0007]/g;

// --- Relevant lines ---------------------------------------------------------------------------------

/** Who prints the lines that explain a join failure. */
const BOOT_SOURCE =
  /\b(?:kubelet|nodeadm|bootstrap\.sh|eks-bootstrap|cloud-init|cloud-final|curl|aws|containerd|sandbox-image|ecr|ctr|sts|imds)\b/i;
const ERROR_WORDS =
  /\b(?:error|errors|err=|failed|failure|fatal|unable|cannot|can't|could not|timeout|timed out|refused|denied|unauthorized|forbidden)\b|"level":"(?:error|fatal)"|\b[EF]\d{4} \d\d:/i;
/** Lines that say a boot script failed, whoever printed them. */
const SCRIPT_FAILED = /Exited with error on line|An error occurred \(|Failed running \/var\/lib\/cloud/;

/**
 * The lines that bear on the join, newest last, scrubbed and shortened, each once (kubelet repeats
 * the same error every few seconds; the latest occurrence is kept).
 */
export function relevantLines(text: string): string[] {
  // EC2 keeps 64 KiB; anything longer is not console output, and only its end matters.
  const scrubbed = scrubSecrets(stripControl(text.slice(-MAX_INPUT_CHARS)));
  const kept: string[] = [];
  for (const raw of scrubbed.split('\n')) {
    if (
      !(
        SCRIPT_FAILED.test(raw) ||
        lineSignatures(raw).length > 0 ||
        (BOOT_SOURCE.test(raw) && ERROR_WORDS.test(raw))
      )
    ) {
      continue;
    }
    // Shortening can bring two parts of a line together: scrub again.
    const line = scrubSecrets(compact(raw));
    if (!line) continue;
    const seen = kept.indexOf(line);
    if (seen >= 0) kept.splice(seen, 1);
    kept.push(line);
  }
  return kept;
}

/** Drops what every line repeats (boot clock, syslog header, pids, klog header, nodeadm's ts and caller). */
function compact(line: string): string {
  let previous: string;
  let text = line.trim();
  do {
    previous = text;
    text = text
      .replace(/^\[\s*\d+\.\d+\]\s*/, '')
      .replace(/^[A-Z][a-z]{2}\s+\d{1,2} \d\d:\d\d:\d\d (?:\S+ (?=[\w.-]+(?:\[\d+\])?:))?/, '')
      .replace(/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?(?:\s+-)?\s+/, '')
      .replace(/^cloud-init\[\d+\]:\s*/, '')
      .trim();
  } while (text !== previous);
  return text
    .replace(/([\w.-]+)\[\d+\]:/g, '$1:')
    .replace(/\b[EWIF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w./-]+:\d+\]\s*/g, '')
    .replace(/"ts":[\d.e+-]+,\s*/g, '')
    .replace(/"caller":"[^"]*",\s*/g, '')
    .replace(/\s{2,}/g, ' ');
}

/** One line may take at most this much of the bound, so that two or three fit. */
const MAX_LINE_BYTES = 200;

/**
 * The lines to show, in their order, joined by newlines within `maxBytes` of UTF-8: newest first,
 * lines with a signature before lines without, each long one cut to its head and its tail (where
 * the cause usually is), joined by `…`.
 */
function lastWithin(lines: string[], maxBytes: number): string[] {
  const order = lines.map((_, n) => n).reverse();
  const byWeight = [
    ...order.filter((n) => lineSignatures(lines[n] as string).length > 0),
    ...order.filter((n) => lineSignatures(lines[n] as string).length === 0),
  ];
  const chosen = new Map<number, string>();
  let used = 0;
  for (const n of byWeight) {
    const separator = chosen.size > 0 ? 1 : 0;
    const room = Math.min(MAX_LINE_BYTES, maxBytes - used - separator);
    if (room < MIN_LINE_BYTES) break;
    const line = lines[n] as string;
    const shown = byteLength(line) <= room ? line : elide(line, room);
    chosen.set(n, shown);
    used += byteLength(shown) + separator;
  }
  return [...chosen.keys()].sort((a, b) => a - b).map((n) => chosen.get(n) as string);
}

/** Less than this is too little of a line to tell anything. */
const MIN_LINE_BYTES = 40;

const ELLIPSIS = '…';

function elide(line: string, maxBytes: number): string {
  const room = maxBytes - byteLength(ELLIPSIS);
  const head = fitStart(line, Math.floor(room / 4));
  const tail = fitEnd(line, room - byteLength(head));
  return `${head}${ELLIPSIS}${tail}`;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest start of `text` within `maxBytes`, never splitting a character. */
function fitStart(text: string, maxBytes: number): string {
  let out = '';
  for (const char of text) {
    if (byteLength(out + char) > maxBytes) break;
    out += char;
  }
  return out;
}

/** The longest end of `text` within `maxBytes`, never splitting a character. */
function fitEnd(text: string, maxBytes: number): string {
  const chars = [...text];
  let out = '';
  for (let n = chars.length - 1; n >= 0; n--) {
    const next = (chars[n] as string) + out;
    if (byteLength(next) > maxBytes) break;
    out = next;
  }
  return out;
}

// --- Signatures -------------------------------------------------------------------------------------

/** A lookup of a name: what fails there is DNS, whatever the error after it says. */
const NAME_LOOKUP = /\blookup \S+(?: on \S+)?:|getaddrinfo|name resolution|resolve host/i;
/** Instance metadata is local to the host: its timeouts say nothing about egress. */
const METADATA = /169\.254\.169\.254|\bec2imds\b|\bIMDS\b|\[fd00:ec2::254\]/i;

const SIGNATURE_PATTERNS: { signature: BootSignature; patterns: RegExp[]; unless?: RegExp }[] = [
  {
    signature: 'API_TIMEOUT',
    patterns: [
      /i\/o timeout/i,
      /context deadline exceeded/i,
      /TLS handshake timeout/i,
      /connect(?:ion)? tim(?:ed|e) ?out/i,
      /(?:Connect|Read) timeout on endpoint URL/i,
      /Could not connect to the endpoint URL/i,
      /Client\.Timeout exceeded/i,
      /dial tcp \S+:443: /i,
      /\bnetwork is unreachable\b|\bno route to host\b/i,
      /curl: \((?:7|28)\)/,
    ],
    unless: new RegExp(`${NAME_LOOKUP.source}|${METADATA.source}`, 'i'),
  },
  {
    signature: 'DNS_FAILURE',
    patterns: [
      /no such host/i,
      /Temporary failure in name resolution/i,
      /server misbehaving/i,
      /Could not resolve host/i,
      /Name or service not known/i,
      /\blookup \S+ on \S+:53: .*(?:timeout|refused|unreachable)/i,
      /curl: \(6\)/,
    ],
  },
  {
    signature: 'UNAUTHORIZED',
    patterns: [
      /\bUnauthorized\b/i,
      /You must be logged in to the server/i,
      /(?:status(?:\s*code)?[:= ]\s*|HTTP\/\d(?:\.\d)?\s+)401\b|\b401 Unauthorized|\(401\)/i,
      /User "system:anonymous"/,
      /\bAccessDenied(?:Exception)?\b|not authorized to perform/i,
    ],
  },
  {
    signature: 'CERTIFICATE_ERROR',
    patterns: [
      /\bx509: /i,
      /certificate signed by unknown authority/i,
      /certificate has expired|certificate is not valid/i,
      /tls: failed to verify certificate/i,
      /SSL certificate problem|curl: \(60\)/i,
    ],
  },
  {
    signature: 'CREDENTIALS_FAILURE',
    patterns: [
      /NoCredentialProviders/,
      /\b(?:unable|failed|could not) to (?:locate|load|fetch|retrieve|refresh|get|find)(?: cached| any)? credentials/i,
      /no EC2 IMDS role found/i,
      /EC2RoleRequestError/,
      /operation error ec2imds/i,
      /Unable to locate credentials/i,
    ],
  },
];

const SIGNATURE_ORDER: BootSignature[] = SIGNATURE_PATTERNS.map((s) => s.signature);

function lineSignatures(line: string): BootSignature[] {
  return SIGNATURE_PATTERNS.filter(
    ({ patterns, unless }) => patterns.some((p) => p.test(line)) && !unless?.test(line),
  ).map((s) => s.signature);
}

/** The signatures the lines show, each once, in a fixed order. */
export function bootSignatures(lines: string[]): BootSignature[] {
  const found = new Set(lines.flatMap(lineSignatures));
  return SIGNATURE_ORDER.filter((s) => found.has(s));
}

// --- Verdict ----------------------------------------------------------------------------------------

/**
 * How the signatures bear on the findings. The node that timed out or could not resolve names did
 * not get out: that agrees with a network finding and disagrees with an identity one. The node that
 * was refused (Unauthorized) or shown a certificate got to a server: that agrees with an identity
 * finding and disagrees with a network one. Both kinds at once, or none, prove nothing. When the
 * check has findings of both kinds, support for either is support for the diagnosis.
 */
export function bootVerdict(signatures: BootSignature[], findings: Finding[]): BootEvidence['verdict'] {
  const unreached = signatures.includes('API_TIMEOUT') || signatures.includes('DNS_FAILURE');
  const reached = signatures.includes('UNAUTHORIZED') || signatures.includes('CERTIFICATE_ERROR');
  const verdicts: BootEvidence['verdict'][] = [];
  if (findings.some((f) => NETWORK_FINDINGS.has(f.code))) {
    verdicts.push(
      unreached && !reached ? 'corroborates' : reached && !unreached ? 'contradicts' : 'inconclusive',
    );
  }
  if (findings.some((f) => IDENTITY_FINDINGS.has(f.code))) {
    const refused = signatures.includes('UNAUTHORIZED');
    verdicts.push(refused ? 'corroborates' : unreached && !reached ? 'contradicts' : 'inconclusive');
  }
  if (verdicts.includes('corroborates')) return 'corroborates';
  if (verdicts.includes('contradicts')) return 'contradicts';
  return 'inconclusive';
}
