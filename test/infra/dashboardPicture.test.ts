import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dashboardBody, PICTURE, renderDashboardSvg } from '../../scripts/renderDashboard.js';
import { synthStack } from './synthStack.js';

describe('docs/dashboard.svg', () => {
  it('is the drawing of the dashboard the stack deploys (regenerate: npx tsx scripts/renderDashboard.ts)', () => {
    const fresh = renderDashboardSvg(dashboardBody(synthStack({}).template.toJSON()));
    expect(readFileSync(PICTURE, 'utf8')).toBe(fresh);
  });

  it('draws every widget: one box and one bold title each', () => {
    const { widgets } = dashboardBody(synthStack({}).template.toJSON());
    const svg = readFileSync(PICTURE, 'utf8');
    expect(svg.match(/<rect [^>]*rx="4"/g)).toHaveLength(widgets.length);
    for (const w of widgets.filter((w) => w.properties.title)) {
      expect(svg, w.properties.title).toContain(`font-weight="bold">${w.properties.title?.split(' ')[0]}`);
    }
  });
});
