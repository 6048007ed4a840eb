/**
 * Request parameters (path-item and operation parameters merged; matched by `in` + name, header names
 * case-insensitively).
 *
 * Removed: `request-parameter-removed` (WARN); when the base marked it deprecated: without `x-sunset`
 * `request-parameter-removed-with-deprecation` (INFO), before its sunset `request-parameter-removed-before-sunset`
 * (ERR), an unparsable sunset `request-parameter-sunset-parse`. Added: a path parameter is
 * `new-request-path-parameter`; a parameter declared on the path item of a path that already existed is one of
 * oasdiff's "default parameters" (`new-required|optional-request-default-parameter-to-existing-path`); any
 * other is `new-required|optional-request-parameter`. Then required-ness, deprecation and the schema
 * (type, format, enum, bounds, pattern, default …) through the schema walker.
 */
import { q, type DiffContext } from '../context';
import type { Operation, Param, SchemaRef } from '../model';
import { compareSchemas, type ChangeDistances } from '../schema-diff';
import { daysBetween, deprecationDays, readStability, readSunset } from '../sunset';
import { matchedOperations } from './common';

export function checkParameters(ctx: DiffContext, distances: ChangeDistances): void {
  for (const { base, revision: op } of matchedOperations(ctx)) {
    for (const [key, bp] of base.parameters) {
      if (!op.parameters.has(key)) removed(ctx, op, bp);
    }
    for (const [key, rp] of op.parameters) {
      const bp = base.parameters.get(key);
      if (!bp) added(ctx, op, rp);
      else modified(ctx, op, bp, rp, distances);
    }
  }
}

function label(p: Param): string {
  return `${p.in} request parameter '${p.name}'`;
}

function removed(ctx: DiffContext, op: Operation, p: Param): void {
  if (!p.deprecated) return ctx.emitOp('request-parameter-removed', op, `deleted the ${label(p)}`, op.node);
  const sunset = readSunset(p.extensions);
  if (sunset.kind === 'none') return ctx.emitOp('request-parameter-removed-with-deprecation', op, `deleted the deprecated ${label(p)}`, op.node);
  if (sunset.kind === 'invalid') return ctx.emitOp('request-parameter-sunset-parse', op, `deleted the ${label(p)} whose x-sunset ${q(sunset.raw)} is not a date`, op.node);
  if (ctx.today < sunset.date) ctx.emitOp('request-parameter-removed-before-sunset', op, `deleted the ${label(p)} before its sunset date ${sunset.date}`, op.node);
}

function added(ctx: DiffContext, op: Operation, p: Param): void {
  if (p.in === 'path') return ctx.emitOp('new-request-path-parameter', op, `added the new path request parameter '${p.name}'`, p.node);
  const req = p.required ? 'required' : 'optional';
  if (p.fromPathItem) return ctx.emitOp(`new-${req}-request-default-parameter-to-existing-path`, op, `added the new ${req} ${label(p)} to all operations of the path`, p.node);
  ctx.emitOp(`new-${req}-request-parameter`, op, `added the new ${req} ${label(p)}`, p.node);
}

function schemaOf(p: Param): SchemaRef | undefined {
  if (p.schema) return p.schema;
  for (const media of p.content.values()) if (media.schema) return media.schema;
  return undefined;
}

function modified(ctx: DiffContext, op: Operation, bp: Param, rp: Param, distances: ChangeDistances): void {
  if (!bp.required && rp.required) ctx.emitOp('request-parameter-became-required', op, `the ${label(rp)} became required`, rp.node);
  if (bp.required && !rp.required) ctx.emitOp('request-parameter-became-optional', op, `the ${label(rp)} became optional`, rp.node);
  deprecation(ctx, op, bp, rp);
  const bs = schemaOf(bp);
  const rs = schemaOf(rp);
  if (bs && rs) compareSchemas({ ctx, op, direction: 'request', scope: 'parameter', paramIn: rp.in, label: label(rp) }, bs, rs, distances);
}

function deprecation(ctx: DiffContext, op: Operation, bp: Param, rp: Param): void {
  const stability = readStability(op.extensions);
  const days = deprecationDays(ctx, stability.kind === 'level' ? stability.level : undefined);
  if (bp.deprecated && !rp.deprecated) return ctx.emitOp('request-parameter-reactivated', op, `the ${label(rp)} is no longer deprecated`, rp.node);
  if (!bp.deprecated && rp.deprecated) {
    const sunset = readSunset(rp.extensions);
    if (sunset.kind === 'none') {
      if (days > 0) ctx.emitOp('request-parameter-deprecated-sunset-missing', op, `the ${label(rp)} was deprecated without an x-sunset date (at least ${days} days are required)`, rp.node);
      else ctx.emitOp('request-parameter-deprecated', op, `the ${label(rp)} was deprecated`, rp.node);
    } else if (sunset.kind === 'invalid') {
      ctx.emitOp('request-parameter-sunset-parse', op, `the ${label(rp)} was deprecated with an x-sunset that is not a date: ${q(sunset.raw)}`, rp.node);
    } else if (daysBetween(ctx.today, sunset.date) < days) {
      ctx.emitOp('request-parameter-sunset-date-too-small', op, `the ${label(rp)} was deprecated with the sunset date ${sunset.date}, less than ${days} days away`, rp.node);
    } else {
      ctx.emitOp('request-parameter-deprecated', op, `the ${label(rp)} was deprecated with the sunset date ${sunset.date}`, rp.node);
    }
    return;
  }
  if (!rp.deprecated) return;
  const before = readSunset(bp.extensions);
  const after = readSunset(rp.extensions);
  if (before.kind !== 'none' && after.kind === 'none') return ctx.emitOp('request-parameter-sunset-deleted', op, `the x-sunset of the deprecated ${label(rp)} was removed`, rp.node);
  if (before.kind === 'none' || after.kind === 'none') return;
  if (after.kind === 'invalid') {
    if (before.kind !== 'invalid' || String(before.raw) !== String(after.raw)) ctx.emitOp('request-parameter-sunset-parse', op, `the x-sunset of the ${label(rp)} is not a date: ${q(after.raw)}`, rp.node);
    return;
  }
  if (before.kind === 'date' && before.date > after.date && daysBetween(ctx.today, after.date) < days) {
    ctx.emitOp('request-parameter-sunset-date-changed-too-small', op, `the sunset date of the ${label(rp)} moved from ${before.date} to ${after.date}, earlier than allowed`, rp.node);
  }
}
