/**
 * Paths and operations added or removed, and webhooks.
 *
 * A removal is judged on the base operation, as oasdiff does: not deprecated → `…-without-deprecation`
 * (ERR); deprecated without `x-sunset` → `…-with-deprecation` (INFO); deprecated with a sunset still in
 * the future → `…-removed-before-sunset` (ERR); on or after the sunset date → nothing; an unparsable sunset →
 * `api-path-sunset-parse`. A whole path removed uses the `api-path-…` ids (and skips operations marked
 * `x-stability-level: draft|alpha`, or with an invalid level); an operation removed from a path that is
 * still there uses the `api-…` ids.
 */
import type { DiffContext } from '../context';
import type { Operation } from '../model';
import { readStability, readSunset } from '../sunset';

export function checkEndpoints(ctx: DiffContext): void {
  for (const [key, basePath] of ctx.base.paths) {
    const revPath = ctx.revision.paths.get(key);
    for (const [method, op] of basePath.operations) {
      if (!revPath) {
        const stability = readStability(op.extensions);
        if (stability.kind === 'invalid' || (stability.kind === 'level' && (stability.level === 'draft' || stability.level === 'alpha'))) continue;
        removal(ctx, op, true);
      } else if (!revPath.operations.has(method)) removal(ctx, op, false);
    }
  }
  for (const [key, revPath] of ctx.revision.paths) {
    const basePath = ctx.base.paths.get(key);
    for (const [method, op] of revPath.operations) {
      if (!basePath?.operations.has(method)) ctx.emitOp('endpoint-added', op, `endpoint added: ${method} ${op.path}`);
    }
  }
  for (const [name, entry] of ctx.base.webhooks) {
    if (!ctx.revision.webhooks.has(name)) ctx.emit('webhook-removed', `the webhook '${name}' was removed`, { node: entry.node });
  }
  for (const [name, entry] of ctx.revision.webhooks) {
    if (!ctx.base.webhooks.has(name)) ctx.emit('webhook-added', `the webhook '${name}' was added`, { node: entry.node });
  }
}

function removal(ctx: DiffContext, op: Operation, wholePath: boolean): void {
  const what = wholePath ? 'api path' : 'api';
  const id = (suffix: string): string => (wholePath ? `api-path-${suffix}` : `api-${suffix}`);
  if (!op.deprecated) return ctx.emitOp(id('removed-without-deprecation'), op, `${what} removed without deprecation: ${op.method} ${op.path}`);
  const sunset = readSunset(op.extensions);
  if (sunset.kind === 'none') return ctx.emitOp(id('removed-with-deprecation'), op, `${what} removed with deprecation: ${op.method} ${op.path}`);
  if (sunset.kind === 'invalid') return ctx.emitOp('api-path-sunset-parse', op, `${what} ${op.method} ${op.path} was removed, but its x-sunset '${String(sunset.raw)}' is not a date (RFC 3339)`);
  if (ctx.today < sunset.date) ctx.emitOp(id('removed-before-sunset'), op, `${what} ${op.method} ${op.path} was removed before its sunset date ${sunset.date}`);
}
