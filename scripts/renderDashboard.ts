/**
 * Draws the stack's CloudWatch dashboard as an SVG layout (docs/dashboard.svg): each widget a box at its
 * grid position, with its title and what it plots. The drawing is made from the synthesized dashboard
 * body, so it shows what is deployed; test/infra/dashboardPicture.test.ts fails when the checked-in file
 * differs from a fresh one.
 *
 *   npx tsx scripts/renderDashboard.ts        writes docs/dashboard.svg
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EksJoinRemediatorStack } from '../infra/lib/EksJoinRemediatorStack.js';
import { REPOSITORY_ROOT } from '../infra/lib/paths.js';

export const PICTURE = path.join(REPOSITORY_ROOT, 'docs/dashboard.svg');

/** One widget of a dashboard body (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html). */
export interface Widget {
  type: 'metric' | 'text' | 'alarm' | string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title?: string;
    view?: string;
    stacked?: boolean;
    markdown?: string;
    alarms?: string[];
    metrics?: unknown[][];
    annotations?: { horizontal?: { value: number; label?: string }[] };
  };
}

type Part = string | { Ref: string } | { 'Fn::GetAtt': [string, string] };

/** `${LogicalId}` for a Ref, `${LogicalId.Attribute}` for a GetAtt: stable placeholders for deploy-time values. */
function placeholder(part: Part): string {
  if (typeof part === 'string') return part;
  if ('Ref' in part) return `\${${part.Ref}}`;
  return `\${${part['Fn::GetAtt'].join('.')}}`;
}

/** The dashboard of a synthesized template, its body parsed, deploy-time values left as placeholders. */
export function dashboardBody(template: Record<string, unknown>): { widgets: Widget[] } {
  type Resource = { Type: string; Properties: { DashboardBody: string | { 'Fn::Join': [string, Part[]] } } };
  const dashboards = Object.values(template.Resources as Record<string, Resource>).filter(
    (r) => r.Type === 'AWS::CloudWatch::Dashboard',
  );
  const [dashboard] = dashboards;
  if (dashboards.length !== 1 || !dashboard)
    throw new Error(`expected one dashboard, found ${dashboards.length}`);
  const body = dashboard.Properties.DashboardBody;
  const text =
    typeof body === 'string' ? body : body['Fn::Join'][1].map(placeholder).join(body['Fn::Join'][0]);
  return JSON.parse(text) as { widgets: Widget[] };
}

/** The ready-made stack with the default settings, synthesized offline without bundling (as the stack tests do). */
export function synthesizedTemplate(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new EksJoinRemediatorStack(app, 'EksJoinRemediator', { settings: {} });
  return Template.fromStack(stack).toJSON();
}

const DYNAMIC_LABEL = /\$\{PROP\('Dim\.(\w+)'\)\}/g;
const SEARCH = /^(SUM\()?SEARCH\('\{[^,]+,([^}]*)\} MetricName="(\w+)"[^']*', '(\w+)', \d+\)\)?$/;

/** A name a person reads: the construct's id, without the construct prefix and CDK's hash. */
function shortName(value: string): string {
  return value.replace(/^\$\{Remediator(\w+?)[0-9A-F]{8}(\.\w+)?\}$/, '$1');
}

/** One line per metric or expression: its label, then what it is (metric, statistic; search schema). */
export function describeMetric(entry: unknown[]): string {
  const last = entry.at(-1);
  const options = (typeof last === 'object' && last !== null ? last : {}) as {
    label?: string;
    expression?: string;
    stat?: string;
    yAxis?: string;
  };
  const label = (options.label ?? '').replace(DYNAMIC_LABEL, '<$1>');
  const axis = options.yAxis === 'right' ? ' (right axis)' : '';
  if (options.expression) {
    const search = SEARCH.exec(options.expression);
    const what = search
      ? `${search[1] ? 'sum of ' : ''}${search[3]} by ${(search[2] ?? '').replace(/,service$/, '')}, ${search[4]}`
      : options.expression;
    return `${label}: ${what}${axis}`;
  }
  const [namespace, metricName, , dimension] = entry as string[];
  const of = dimension ? ` of ${shortName(dimension)}` : '';
  return `${label}: ${namespace} ${metricName}${of}, ${options.stat ?? 'Average'}${axis}`;
}

/** What a widget shows, as lines of text (before wrapping). */
export function describeWidget(widget: Widget): string[] {
  const { properties } = widget;
  if (widget.type === 'text') {
    return (properties.markdown ?? '')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('# '));
  }
  if (widget.type === 'alarm') return (properties.alarms ?? []).map((arn) => `alarm ${shortName(arn)}`);
  const lines = (properties.metrics ?? []).map(describeMetric);
  for (const { value, label } of properties.annotations?.horizontal ?? []) {
    lines.push(`line at ${value}: ${label ?? ''}`);
  }
  return lines;
}

function titleOf(widget: Widget): string {
  if (widget.type === 'text') {
    const heading = (widget.properties.markdown ?? '').split('\n').find((line) => line.startsWith('# '));
    return `${heading?.slice(2) ?? 'Text'} (text)`;
  }
  const view = widget.properties.view === 'singleValue' ? ' (numbers)' : '';
  const stacked = widget.properties.stacked ? ' (stacked)' : '';
  return `${widget.properties.title ?? ''}${view}${stacked}`;
}

const COLUMN = 44;
const ROW = 30;
const MARGIN = 10;
const FONT = 11;
const LINE = 14;
/** Average width of a character at FONT px in a sans-serif face, for wrapping. */
const CHAR = 5.9;

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = `  ${word}`;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out;
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** The SVG drawing of a dashboard body: deterministic (same body, same bytes). */
export function renderDashboardSvg(body: { widgets: Widget[] }): string {
  const widgets = [...body.widgets].sort((a, b) => a.y - b.y || a.x - b.x);
  const width = 24 * COLUMN + 2 * MARGIN;
  const height = Math.max(...widgets.map((w) => w.y + w.height)) * ROW + 2 * MARGIN + 24;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="${FONT}" role="img">`,
    '<title>eks-join-remediator CloudWatch dashboard: the layout of its widgets and what each plots</title>',
    `<rect width="${width}" height="${height}" fill="#f4f6f8"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 12}" font-size="13" font-weight="bold">CloudWatch dashboard &lt;stack&gt;-&lt;region&gt;: layout (24 columns; generated by scripts/renderDashboard.ts)</text>`,
  ];
  for (const widget of widgets) {
    const x = MARGIN + widget.x * COLUMN;
    const y = MARGIN + 24 + widget.y * ROW;
    const w = widget.width * COLUMN - 6;
    const h = widget.height * ROW - 6;
    const chars = Math.floor((w - 12) / CHAR);
    const fill = widget.type === 'text' ? '#eef3fb' : widget.type === 'alarm' ? '#fdf3e7' : '#ffffff';
    out.push(
      `<g>`,
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="4" fill="${fill}" stroke="#8a99a8"/>`,
    );
    const title = wrap(titleOf(widget), Math.floor((w - 12) / (CHAR + 0.6)));
    const lines = describeWidget(widget).flatMap((line) => wrap(line, chars));
    const room = Math.floor((h - 12 - title.length * LINE) / LINE);
    const shown = lines.length > room ? [...lines.slice(0, room - 1), '…'] : lines;
    let baseline = y + 16;
    for (const line of title) {
      out.push(`<text x="${x + 6}" y="${baseline}" font-weight="bold">${escapeXml(line)}</text>`);
      baseline += LINE;
    }
    for (const line of shown) {
      out.push(`<text x="${x + 6}" y="${baseline}" fill="#33414e">${escapeXml(line)}</text>`);
      baseline += LINE;
    }
    out.push('</g>');
  }
  out.push('</svg>', '');
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(PICTURE, renderDashboardSvg(dashboardBody(synthesizedTemplate())));
  console.log(`wrote ${path.relative(process.cwd(), PICTURE)}`);
}
