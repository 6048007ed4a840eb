/**
 * Unleash's tokens are `<project>:<environment>.<secret>` (`*` for all environments); a token of another
 * environment would read that environment's flags while `rollout set` changes `environment`'s. Says why
 * the token does not fit, or undefined when it does (or is of a form that names no environment). Checked
 * by `config validate` and again by the provider (at start, and for PUT /flags/client-token).
 */
export function tokenEnvironmentMismatch(token: string, environment: string): string | undefined {
  const scoped = /^[^:]+:(.+)\.[^.]+$/.exec(token)?.[1];
  if (scoped === undefined || scoped === '*' || scoped === environment) return undefined;
  return `is for Unleash environment "${scoped}", but flags.environment is "${environment}": the proxy would read "${scoped}"'s flags while rollout set changes "${environment}"'s (use a token for "${environment}" or "*")`;
}
