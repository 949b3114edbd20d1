import { createRequire } from 'node:module';
import path from 'node:path';
import { type CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import cdkNag from 'cdk-nag';
import type { Construct } from 'constructs';
import { REPOSITORY_ROOT } from './paths.js';

/**
 * The runtime defaults of every function of this project, in one place:
 * - Node.js 22 on arm64 (Graviton: cheaper per GB-second). Node.js 24 is offered by this aws-cdk-lib too;
 *   22 is kept on purpose (see the AwsSolutions-L1 acknowledgement below). Change it here only.
 * - The same bundle as scripts/build.mjs: esbuild, minified, ES modules preferred (`mainFields`) so the
 *   SDK tree-shakes, ESM output with a `require` for bundled CommonJS, source maps used at run time
 *   (NODE_OPTIONS=--enable-source-maps). The AWS SDK is bundled, not taken from the runtime, so the
 *   function runs exactly the @aws-sdk version in package-lock.json.
 * - Bundling runs the local esbuild (a devDependency), never Docker, so `cdk synth` works offline.
 */
export const RUNTIME = Runtime.NODEJS_22_X;
export const ARCHITECTURE = Architecture.ARM_64;
// Some bundled CommonJS code calls require(); give the ESM bundle one (as scripts/build.mjs does).
const ESM_REQUIRE_BANNER =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

const { NagSuppressions } = cdkNag;

/**
 * Without a local esbuild, CDK falls back to bundling in Docker, which fails offline with an unrelated
 * message: say what is missing instead.
 */
function requireLocalEsbuild(): void {
  try {
    createRequire(path.join(REPOSITORY_ROOT, 'package.json')).resolve('esbuild');
  } catch {
    throw new Error(
      `esbuild is not installed in ${REPOSITORY_ROOT}: run \`npm ci\` there (it bundles the function)`,
    );
  }
}

export interface FunctionWithLogGroupProps
  extends Omit<NodejsFunctionProps, 'logGroup' | 'runtime' | 'architecture'> {
  /** Entry file, relative to the repository root (e.g. functions/join-check/handler.ts). */
  readonly entry: string;
  readonly logRetention: RetentionDays;
  /** Default RETAIN: the log of what was remediated outlives the stack. */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * A NodejsFunction with the project's runtime defaults and its own log group with a retention (its
 * `logGroup`), created beside it rather than by Lambda on first write, so the retention always applies.
 */
export class FunctionWithLogGroup extends NodejsFunction {
  constructor(scope: Construct, id: string, props: FunctionWithLogGroupProps) {
    requireLocalEsbuild();
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const {
      entry,
      logRetention: _retention,
      logRemovalPolicy: _removal,
      environment,
      bundling,
      ...rest
    } = props;
    super(scope, id, {
      ...rest,
      entry: path.join(REPOSITORY_ROOT, entry),
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: path.join(REPOSITORY_ROOT, 'package-lock.json'),
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
      logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...environment },
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        target: 'node22',
        bundleAwsSDK: true,
        externalModules: [],
        forceDockerBundling: false,
        esbuildArgs: { '--legal-comments': 'none', '--tree-shaking': 'true' },
        ...bundling,
      },
    });
    // CDK makes the function depend on its role and the role's policy, so the permissions exist before
    // the event source mapping starts polling; the role part is also implied by the Role GetAtt, which
    // cfn-lint reports (W3005). Harmless: tell cfn-lint so.
    (this.node.defaultChild as CfnResource).addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } });
    NagSuppressions.addResourceSuppressions(this, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Node.js 22 is chosen on purpose: a supported LTS Lambda runtime (deprecation not before 2027) and the ' +
          'newest line the project targets; Node.js 24 is adopted by changing RUNTIME in FunctionWithLogGroup.ts.',
      },
    ]);
  }
}
