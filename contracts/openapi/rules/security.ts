/**
 * Security: an operation's own `security` requirements (`api-security-added|removed`, and per scheme
 * `api-security-scope-added|removed`), the document's (`api-global-security-…`), and the security schemes
 * under `components.securitySchemes` (`api-security-component-…`: added, removed, type changed, OAuth
 * authorization/token URL changed, OAuth scopes added, removed or re-described). A requirement is the set
 * of scheme names that must all be satisfied; it is matched between the specs by that set. Levels are
 * oasdiff's (all INFO): a new requirement may well break clients, and `--fail-on` can't see that — the
 * reference list is followed as it is.
 */
import { q, type DiffContext } from '../context';
import type { Operation, SecurityRequirement } from '../model';
import { isObject } from '../../../core/is-object';
import { matchedOperations } from './common';

function requirementKey(req: SecurityRequirement): string {
  return [...req.keys()].sort().join(' + ') || '(anonymous)';
}

function compareRequirements(
  base: SecurityRequirement[],
  revision: SecurityRequirement[],
  emit: (suffix: string, text: string) => void,
): void {
  const bm = new Map(base.map((r) => [requirementKey(r), r]));
  const rm = new Map(revision.map((r) => [requirementKey(r), r]));
  for (const [key] of bm) if (!rm.has(key)) emit('removed', `the security requirement ${q(key)} was removed`);
  for (const [key] of rm) if (!bm.has(key)) emit('added', `the security requirement ${q(key)} was added`);
  for (const [key, rr] of rm) {
    const br = bm.get(key);
    if (!br) continue;
    for (const [scheme, scopes] of rr) {
      const before = br.get(scheme) ?? [];
      for (const s of scopes) if (!before.includes(s)) emit('scope-added', `the scope ${q(s)} was added to the security scheme ${q(scheme)}`);
      for (const s of before) if (!scopes.includes(s)) emit('scope-removed', `the scope ${q(s)} was removed from the security scheme ${q(scheme)}`);
    }
  }
}

export function checkSecurity(ctx: DiffContext): void {
  for (const { base, revision: op } of matchedOperations(ctx)) {
    if (!base.ownSecurity && !op.ownSecurity) continue;
    compareRequirements(base.ownSecurity ?? [], op.ownSecurity ?? [], (suffix, text) => ctx.emitOp(`api-security-${suffix}`, op as Operation, `${text} for ${op.method} ${op.path}`));
  }
  compareRequirements(ctx.base.security ?? [], ctx.revision.security ?? [], (suffix, text) =>
    ctx.emit(`api-global-security-${suffix}`, `${text} (global security)`, { node: ctx.revision.root.security ?? ctx.revision.root, file: ctx.revision.file }),
  );

  for (const [name, bs] of ctx.base.securitySchemes) {
    if (!ctx.revision.securitySchemes.has(name)) ctx.emit('api-security-component-removed', `the security scheme ${q(name)} was removed`, { node: ctx.revision.root, file: ctx.revision.file });
    void bs;
  }
  for (const [name, rs] of ctx.revision.securitySchemes) {
    const bs = ctx.base.securitySchemes.get(name);
    const where = { node: rs, file: ctx.revision.file };
    if (!bs) {
      ctx.emit('api-security-component-added', `the security scheme ${q(name)} was added`, where);
      continue;
    }
    if (bs.type !== rs.type) ctx.emit('api-security-component-type-changed', `the type of the security scheme ${q(name)} changed from ${q(bs.type)} to ${q(rs.type)}`, where);
    const bf = isObject(bs.flows) ? bs.flows : {};
    const rf = isObject(rs.flows) ? rs.flows : {};
    for (const [flowName, rflow] of Object.entries(rf)) {
      const bflow = bf[flowName];
      if (!isObject(rflow) || !isObject(bflow)) continue;
      if (bflow.authorizationUrl !== rflow.authorizationUrl) {
        ctx.emit('api-security-component-oauth-url-changed', `the authorization URL of the ${flowName} flow of the security scheme ${q(name)} changed from ${q(bflow.authorizationUrl ?? '')} to ${q(rflow.authorizationUrl ?? '')}`, where);
      }
      if (bflow.tokenUrl !== rflow.tokenUrl) {
        ctx.emit('api-security-component-oauth-token-url-changed', `the token URL of the ${flowName} flow of the security scheme ${q(name)} changed from ${q(bflow.tokenUrl ?? '')} to ${q(rflow.tokenUrl ?? '')}`, where);
      }
      const bsc = isObject(bflow.scopes) ? bflow.scopes : {};
      const rsc = isObject(rflow.scopes) ? rflow.scopes : {};
      for (const s of Object.keys(rsc)) {
        if (!(s in bsc)) ctx.emit('api-security-component-oauth-scope-added', `the scope ${q(s)} was added to the ${flowName} flow of the security scheme ${q(name)}`, where);
        else if (bsc[s] !== rsc[s]) ctx.emit('api-security-component-oauth-scope-changed', `the description of the scope ${q(s)} of the security scheme ${q(name)} changed`, where);
      }
      for (const s of Object.keys(bsc)) {
        if (!(s in rsc)) ctx.emit('api-security-component-oauth-scope-removed', `the scope ${q(s)} was removed from the ${flowName} flow of the security scheme ${q(name)}`, where);
      }
    }
  }
}
