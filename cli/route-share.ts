/** A route's share of traffic as the CLI prints it: `≥10%` when unleash-client decides each request (the least share). */
export function shareText(route: { percent: number; flagRule?: string | null }): string {
  return route.flagRule ? `≥${route.percent}%` : `${route.percent}%`;
}

/** The line that says why a share is only a lower bound; undefined for a route strangler's percentage decides alone. */
export function flagRuleLine(route: { name: string; flagRule?: string | null }): string | undefined {
  return route.flagRule ? `${route.name}: unleash-client decides each request (the flag's strategies: ${route.flagRule})` : undefined;
}
