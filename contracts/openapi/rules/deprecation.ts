/**
 * Operation lifecycle metadata: `deprecated`, `x-sunset`, `x-stability-level` (oasdiff's
 * APIDeprecationCheck, APISunsetChangedCheck and APIStabilityUpdatedCheck).
 *
 * Deprecating an operation: with no `x-sunset`, `endpoint-deprecated` (INFO) — or, when a sunset grace
 * period is required for its stability level (`deprecationDays*` > 0), `api-deprecated-sunset-missing`
 * (ERR); with an unparsable `x-sunset`, `api-deprecated-sunset-parse` (ERR); with a sunset closer than the
 * grace period, `api-sunset-date-too-small` (ERR); otherwise `endpoint-deprecated-with-sunset` (INFO).
 * Un-deprecating: `endpoint-reactivated`. While deprecated: removing `x-sunset` is `sunset-deleted`; moving
 * it earlier so that it is closer than the grace period (with the default 0 days: into the past) is
 * `api-sunset-date-changed-too-small`; changing it to something unparsable is `api-path-sunset-parse`.
 */
import { sameJson } from '../../json-equal';
import { q, type DiffContext } from '../context';
import { STABILITY_LEVELS, daysBetween, deprecationDays, readStability, readSunset } from '../sunset';
import { matchedOperations } from './common';

export function checkDeprecation(ctx: DiffContext): void {
  for (const { base, revision: op } of matchedOperations(ctx)) {
    const stability = readStability(op.extensions);
    const baseStability = readStability(base.extensions);
    if (stability.kind === 'invalid') {
      if (baseStability.kind !== 'invalid' || String(baseStability.raw) !== String(stability.raw)) {
        ctx.emitOp('api-invalid-stability-level', op, `the x-stability-level ${q(stability.raw)} is not one of draft, alpha, beta, stable`);
      }
      continue;
    }
    if (stability.kind === 'level' && baseStability.kind === 'level' && stability.level !== baseStability.level) {
      const up = STABILITY_LEVELS.indexOf(stability.level) > STABILITY_LEVELS.indexOf(baseStability.level);
      ctx.emitOp(up ? 'api-stability-increased' : 'api-stability-decreased', op, `the stability level changed from ${q(baseStability.level)} to ${q(stability.level)}`);
    } else if (stability.kind === 'none' && baseStability.kind === 'level' && baseStability.level === 'stable') {
      // No level means stable to oasdiff: dropping an explicit `stable` changes nothing.
    }
    const level = stability.kind === 'level' ? stability.level : undefined;
    const days = deprecationDays(ctx, level);

    if (base.deprecated && !op.deprecated) {
      ctx.emitOp('endpoint-reactivated', op, `${op.method} ${op.path} is no longer deprecated`);
      continue;
    }
    if (!base.deprecated && op.deprecated) {
      const sunset = readSunset(op.extensions);
      if (sunset.kind === 'none') {
        if (days > 0) ctx.emitOp('api-deprecated-sunset-missing', op, `${op.method} ${op.path} was deprecated without an x-sunset date (at least ${days} days are required)`);
        else ctx.emitOp('endpoint-deprecated', op, `${op.method} ${op.path} was deprecated`);
      } else if (sunset.kind === 'invalid') {
        ctx.emitOp('api-deprecated-sunset-parse', op, `${op.method} ${op.path} was deprecated with an x-sunset that is not a date (RFC 3339): ${q(sunset.raw)}`);
      } else if (daysBetween(ctx.today, sunset.date) < days) {
        ctx.emitOp('api-sunset-date-too-small', op, `${op.method} ${op.path} was deprecated with the sunset date ${sunset.date}, less than ${days} days away`);
      } else {
        ctx.emitOp('endpoint-deprecated-with-sunset', op, `${op.method} ${op.path} was deprecated with the sunset date ${sunset.date}`);
      }
      continue;
    }
    if (!op.deprecated) continue;
    // Deprecated in both: the sunset date may have changed.
    const before = readSunset(base.extensions);
    const after = readSunset(op.extensions);
    if (before.kind !== 'none' && after.kind === 'none') {
      ctx.emitOp('sunset-deleted', op, `the x-sunset date of the deprecated ${op.method} ${op.path} was removed`);
      continue;
    }
    if (before.kind === 'none' || after.kind === 'none') continue;
    if (sameJson(before.kind === 'date' ? before.date : before.raw, after.kind === 'date' ? after.date : after.raw)) continue;
    if (after.kind === 'invalid') {
      ctx.emitOp('api-path-sunset-parse', op, `the x-sunset of ${op.method} ${op.path} is not a date (RFC 3339): ${q(after.raw)}`);
      continue;
    }
    if (before.kind === 'invalid') {
      ctx.emitOp('api-path-sunset-parse', op, `the base x-sunset of ${op.method} ${op.path} is not a date (RFC 3339): ${q(before.raw)}`, base.node);
      continue;
    }
    if (before.date > after.date && daysBetween(ctx.today, after.date) < days) {
      ctx.emitOp('api-sunset-date-changed-too-small', op, `the sunset date of ${op.method} ${op.path} moved from ${before.date} to ${after.date}, earlier than allowed`);
    }
  }
}
