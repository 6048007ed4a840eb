import { CONTROL_CHARACTERS, reasonProblem } from '../core/admin-api';
import { STAGES, type RouteConfig, type Stage } from '../core/config/types';
import { impliedPercent, stagePercentConflict } from '../core/stage-percent';
import type { RouteChange, RouteState } from '../core/state';

export type CheckedChange =
  | { ok: true; change: RouteChange; create: boolean }
  | { ok: false; status: 400 | 409; field?: string; error: string };

const FIELDS = new Set(['stage', 'percent', 'reason', 'actor', 'create']);

/**
 * What a percent given alone is checked against: the route's last known state (undefined before any, when
 * the configured stage stands in), or `read-by-provider` when the provider reads the state as it writes the
 * change and checks it there (Unleash, through its Admin API: the last poll may be a refresh interval old).
 */
export type CurrentState = RouteState | undefined | 'read-by-provider';

/** Validates a `PUT /routes/:name` body: `{stage?, percent?, reason, actor?}`. */
export function validateRouteChange(body: unknown, route: RouteConfig, current: CurrentState): CheckedChange {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return bad('body', 'body must be a JSON object {stage?, percent?, reason}');
  }
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!FIELDS.has(key)) return bad(key, `${key}: unknown field (expected stage, percent, reason, actor, create)`);
  }
  const { stage, percent, reason, actor, create } = input;
  if (create !== undefined && typeof create !== 'boolean') return bad('create', 'create: must be true or false');
  if (stage !== undefined && !(typeof stage === 'string' && (STAGES as readonly string[]).includes(stage))) {
    return bad('stage', `stage: must be one of ${STAGES.join(', ')}, got ${JSON.stringify(stage)}`);
  }
  if (percent !== undefined && !(typeof percent === 'number' && Number.isInteger(percent) && percent >= 0 && percent <= 100)) {
    return bad('percent', `percent: must be an integer from 0 to 100, got ${JSON.stringify(percent)}`);
  }
  if (typeof reason !== 'string' || reason.trim() === '') {
    return bad('reason', 'reason: required, a non-empty string saying why');
  }
  const problem = reasonProblem(reason);
  if (problem) return bad('reason', `reason: ${problem}`);
  const why = reason.trim();
  if (actor !== undefined && (typeof actor !== 'string' || actor.trim() === '' || actor.length > 200 || CONTROL_CHARACTERS.test(actor.trim()))) {
    return bad('actor', 'actor: must be a non-empty string of at most 200 characters, without control characters');
  }
  if (stage === undefined && percent === undefined) {
    return bad('body', 'nothing to change: give stage, percent or both');
  }
  const nextStage = (stage as Stage | undefined) ?? (current === 'read-by-provider' ? undefined : (current?.stage ?? route.stage));
  const conflict = percent === undefined || nextStage === undefined ? undefined : stagePercentConflict(route.name, nextStage, percent as number, route.service !== undefined);
  if (conflict) return { ok: false, status: 409, field: 'percent', error: conflict };
  if (!route.service && nextStage !== undefined && nextStage !== 'legacy' && nextStage !== 'retired') {
    return { ok: false, status: 409, field: 'stage', error: `route ${route.name} has no new service (no "service" in the configuration): its stage can only be legacy or retired` };
  }
  return {
    ok: true,
    create: create === true,
    change: {
      stage: stage as Stage | undefined,
      percent: (percent as number | undefined) ?? (stage === undefined || stage === 'canary' ? undefined : impliedPercent(stage as Exclude<Stage, 'canary'>)),
      reason: why,
      actor: typeof actor === 'string' ? actor.trim() : 'admin-api',
    },
  };
}

function bad(field: string, error: string): CheckedChange {
  return { ok: false, status: 400, field, error };
}
