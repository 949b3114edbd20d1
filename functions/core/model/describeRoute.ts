import type { Route, RouteTarget } from './types.js';

export const DEFAULT_ROUTE = '0.0.0.0/0';

export function targetId(target: RouteTarget): string {
  return target.kind === 'local' ? 'local' : target.id;
}

/** `0.0.0.0/0 → nat-0abc (active)`, the way a person reads a route. */
export function describeRoute(route: Route): string {
  return `${route.destination} → ${targetId(route.target)} (${route.state})`;
}
