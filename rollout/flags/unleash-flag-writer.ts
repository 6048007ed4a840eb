import { rolloutGroupId } from '../../core/bucketing';
import type { RouteConfig, UnleashFlagsConfig } from '../../core/config/types';
import { StatusError, StranglerError } from '../../core/errors';
import type { RouteChange } from '../../core/state';
import { afterChange, stagePercentConflict } from '../../core/stage-percent';
import { servedIn, type AdminEnvironment, type UnleashAdminApi, UnleashAdminError } from './unleash-admin';
import {
  ROLLOUT_STRATEGY,
  STAGE_PARAMETER,
  describeState,
  enabledFor,
  foreignStickiness,
  managedStrategy,
  rolloutParameters,
  stateFromFeature,
  stickinessField,
  type FlagState,
  type StageAndPercent,
  type UnleashStrategy,
} from './unleash-mapping';

/**
 * `strangler rollout set` against Unleash's Admin API: reads the flag as Unleash holds it, then writes the
 * managed strategy (guarded by a JSON Patch `test` of what was read) and, when the stage needs it, turns
 * the flag on or off; a failed second write puts the strategy back, so every answer says what Unleash holds.
 */
export class UnleashFlagWriter {
  constructor(
    private readonly admin: UnleashAdminApi,
    private readonly flags: Pick<UnleashFlagsConfig, 'project' | 'environment'>,
  ) {}

  /**
   * Applies `change` to the flag as Unleash holds it now (not as the last poll saw it, nor before any poll):
   * `before` is read from the flag itself. `changed` is false when Unleash already holds exactly the target
   * (enabled state and every strategy parameter): then nothing is written.
   */
  async write(route: RouteConfig, change: RouteChange, create: boolean): Promise<WrittenFlag> {
    const served = await this.readFlag(route, create).catch((err: unknown) => {
      throw nothingWritten(err);
    });
    const write = planWrite(route, served, change, { create, environment: this.flags.environment });
    const { before, target, after, splitReplaced } = write;
    const groupId = rolloutGroupId(write.parameters);
    if (!write.needed) return { before, target, after, changed: false, groupId, splitReplaced: {} };
    const addedStrategyId = await this.writeStrategy(route, write);
    if (write.enabled.from !== write.enabled.to) await this.writeEnabled(route, write, addedStrategyId);
    return { before, target, after, changed: true, groupId, splitReplaced };
  }

  /** The flag as clients in the environment are served it, created first (off, no strategy) when missing and `create` says so. */
  private async readFlag(route: RouteConfig, create: boolean): Promise<ServedFlag> {
    const { project, environment } = this.flags;
    let feature = await this.admin.getFeature(route.flag);
    if (!feature) {
      if (await this.admin.isArchived(route.flag)) {
        throw new StatusError(409, 'STRANGLER_ERR_FLAG_ARCHIVED', `flag "${route.flag}" is archived in Unleash: revive it there (Archive, Revive; or POST /api/admin/archive/revive/${route.flag}), then run again`);
      }
      if (!create) {
        throw new StatusError(404, 'STRANGLER_ERR_FLAG_MISSING', `flag "${route.flag}" does not exist in Unleash project ${project} (pass --create to create it)`);
      }
      await this.admin.createFeature(route.flag, `strangler route ${route.name} (${route.match.path})`).catch(async (err: unknown) => {
        // Another proxy's --create made it since the read: this change applies to the flag as it now is.
        if (!(err instanceof UnleashAdminError && err.code === 'STRANGLER_ERR_UNLEASH_CONFLICT' && (await this.admin.getFeature(route.flag)))) throw err;
      });
      feature = await this.admin.getFeature(route.flag);
    }
    const served = feature && servedIn(feature, environment);
    if (!served) throw new StatusError(409, 'STRANGLER_ERR_UNLEASH_ENVIRONMENT', `flag "${route.flag}" has no environment "${environment}" in Unleash project ${project}`);
    return served;
  }

  /**
   * The first write: the managed strategy, patched only if its parameters are still those read (a JSON Patch
   * `test`, which Unleash honours), or added (its id is returned). Either way the flag stays on or off as it
   * was: the route then sends no one new to the new service, whatever happens to the second write.
   */
  private async writeStrategy(route: RouteConfig, write: FlagWrite): Promise<string | undefined> {
    try {
      if (!write.strategy) return await this.addOnlyStrategy(route, write);
      const sets = Object.entries(write.parameters).map(([key, value]) => ({ op: 'add' as const, path: `/parameters/${key}`, value }));
      await this.admin.patchStrategy(route.flag, write.strategy.id, [{ op: 'test', path: '/parameters', value: write.strategy.parameters }, ...sets]);
      return undefined;
    } catch (err) {
      if (err instanceof UnleashAdminError && err.code === 'STRANGLER_ERR_UNLEASH_CHANGED') {
        throw new StatusError(409, 'STRANGLER_ERR_UNLEASH_CHANGED', `flag "${route.flag}" changed in Unleash since it was read as ${describeState(write.before)}: nothing changed; run again to apply the change to the flag as it is now`);
      }
      throw nothingWritten(err);
    }
  }

  /**
   * Adds the managed strategy, unless another proxy added one since the flag was read: two would both let users
   * in (Unleash ORs strategies), each with its own percent. Unleash has no check for that, so the flag is read
   * again: the strategy Unleash lists first stays, and a later one is deleted and its change refused.
   */
  private async addOnlyStrategy(route: RouteConfig, write: FlagWrite): Promise<string> {
    const added = await this.admin.addStrategy(route.flag, { name: ROLLOUT_STRATEGY, parameters: write.parameters });
    // Unread (Unleash gone for a moment): the change goes on as if alone, as it did before this check.
    const now = await this.admin.getFeature(route.flag).catch(() => undefined);
    const served = now && servedIn(now, this.flags.environment);
    const first = served && managedStrategy(served.strategies);
    if (first && first.id !== added) {
      await this.admin.deleteStrategy(route.flag, added).catch((err: Error) => {
        throw halfAppliedError(`another change added the flag's ${ROLLOUT_STRATEGY} strategy at the same time, and deleting this change's (${describeParameters(write.parameters)}) failed (${err.message}): flag "${route.flag}" has two; delete one in Unleash`);
      });
      throw new UnleashAdminError(409, 'STRANGLER_ERR_UNLEASH_CHANGED', `another change added the flag's ${ROLLOUT_STRATEGY} strategy at the same time`, 'not-applied');
    }
    return added;
  }

  /** The second write: the flag on or off. When it fails the strategy is put back, so the answer can say nothing changed. */
  private async writeEnabled(route: RouteConfig, write: FlagWrite, addedStrategyId: string | undefined): Promise<void> {
    try {
      await this.admin.setEnabled(route.flag, write.enabled.to);
    } catch (err) {
      throw await this.undoStrategy(route, write, addedStrategyId, err);
    }
  }

  /** What to answer when the second write failed: the strategy is put back when that failure is certain. */
  private async undoStrategy(route: RouteConfig, write: FlagWrite, addedStrategyId: string | undefined, failure: unknown): Promise<Error> {
    const failed = (failure as Error).message;
    const holds = `its strategy is written (${describeParameters(write.parameters)}) and the flag is ${write.enabled.from ? 'on' : 'off'}, which the route reads as ${describeState(write.halfApplied)}`;
    if (failure instanceof UnleashAdminError && failure.outcome === 'unknown') {
      // Unleash may still turn the flag on or off: putting the old strategy back under it could let the old share in.
      return halfAppliedError(`${failed}; if it did not, the change is half applied: ${holds}`);
    }
    try {
      if (write.strategy) {
        const written = { ...write.strategy.parameters, ...write.parameters };
        await this.admin.patchStrategy(route.flag, write.strategy.id, [{ op: 'test', path: '/parameters', value: written }, { op: 'replace', path: '/parameters', value: write.strategy.parameters }]);
      } else if (addedStrategyId) {
        await this.admin.deleteStrategy(route.flag, addedStrategyId);
      }
    } catch (undo) {
      return halfAppliedError(`${failed}, and putting the strategy back failed (${(undo as Error).message}): the change may be half applied: ${holds}`);
    }
    const status = failure instanceof StatusError ? failure.status : 502;
    const code = failure instanceof StranglerError ? failure.code : 'STRANGLER_ERR_UNLEASH_ADMIN';
    return new StatusError(status, code, `${failed}; the strategy was put back: nothing changed`);
  }
}

/** How the managed strategy split users before a change wrote the route's own stickiness over it (its groupId is kept). */
interface SplitReplaced {
  stickiness?: string;
}

function splitReplacedBy(route: RouteConfig, strategy: UnleashStrategy | undefined): SplitReplaced {
  const stickiness = strategy && foreignStickiness(strategy, stickinessField(route));
  return stickiness === undefined ? {} : { stickiness };
}

/** What an operator must hear when a change undoes a stickiness set in Unleash: users are split anew. */
export function splitRestored(route: RouteConfig, replaced: SplitReplaced): string | undefined {
  if (replaced.stickiness === undefined) return undefined;
  return `flag "${route.flag}"'s strategy was sticky on ${replaced.stickiness} (set in Unleash); this change wrote the route's own back (sticky on ${stickinessField(route)}), so users are split anew`;
}

/** A change as written (or found already made): what the route reads before and after, and how it now buckets. */
export interface WrittenFlag {
  before: FlagState;
  target: StageAndPercent;
  after: FlagState;
  changed: boolean;
  /** The groupId the managed strategy buckets by once written. */
  groupId: string;
  /** What the change wrote over of a stickiness or groupId set in Unleash. */
  splitReplaced: SplitReplaced;
}

/** One change as it is written to Unleash: the strategy first, then (when the stage needs it) the flag on or off. */
interface FlagWrite {
  before: FlagState;
  target: StageAndPercent;
  /** What the route reads once both writes are done. */
  after: FlagState;
  /** What the route reads when only the strategy was written. */
  halfApplied: FlagState;
  /** False when Unleash already holds exactly the target. */
  needed: boolean;
  /** The managed strategy as read; undefined when it is added. */
  strategy: { id: string; parameters: Record<string, unknown> } | undefined;
  parameters: Record<string, string>;
  enabled: { from: boolean; to: boolean };
  /** The managed strategy's stickiness as read, where it is not the route's: the write replaces it. */
  splitReplaced: SplitReplaced;
}

type ServedFlag = { enabled: boolean; strategies: AdminEnvironment['strategies']; dependencies?: unknown[] };

function planWrite(route: RouteConfig, served: ServedFlag, change: RouteChange, options: { create: boolean; environment: string }): FlagWrite {
  const live = served.strategies;
  const sticksOn = stickinessField(route);
  const before = stateFromFeature({ name: route.flag, ...served }, sticksOn);
  const target = afterChange(before, change);
  const conflict = stagePercentConflict(route.name, target.stage, target.percent, route.service !== undefined);
  if (conflict) throw new StatusError(409, 'STRANGLER_ERR_STATE_CONFLICT', conflict);
  const strategy = managedStrategy(live);
  const parameters = rolloutParameters(route, target, rolloutGroupId(strategy?.parameters) || route.flag);
  if (!strategy && !options.create) {
    throw new StatusError(409, 'STRANGLER_ERR_FLAG_STRATEGY', `flag "${route.flag}" has no ${ROLLOUT_STRATEGY} strategy without constraints or segments in ${options.environment} (pass --create to add one)`);
  }
  // In Unleash's own order (the managed strategy changed in place, or added last), so the rule text is the one the next poll reads.
  const written = { name: ROLLOUT_STRATEGY, parameters };
  const strategies = strategy ? live.map((s) => (s === strategy ? written : s)) : [...live, written];
  const enabled = { from: served.enabled, to: enabledFor(target.stage) };
  const after = stateFromFeature({ name: route.flag, enabled: enabled.to, strategies, dependencies: served.dependencies }, sticksOn);
  const halfApplied = stateFromFeature({ name: route.flag, enabled: enabled.from, strategies, dependencies: served.dependencies }, sticksOn);
  const sameParameters = strategy !== undefined && Object.entries(parameters).every(([key, value]) => strategy.parameters?.[key] === value);
  return {
    before,
    target,
    after,
    halfApplied,
    needed: !(sameParameters && enabled.from === enabled.to),
    strategy: strategy && { id: strategy.id, parameters: strategy.parameters ?? {} },
    parameters,
    enabled,
    splitReplaced: splitReplacedBy(route, strategy),
  };
}

/** An Admin API failure before anything was written, said as such; a write that may have gone through is not "nothing changed". */
function nothingWritten(err: unknown): unknown {
  if (!(err instanceof UnleashAdminError)) return err;
  if (err.outcome === 'unknown') return new StatusError(503, 'STRANGLER_ERR_UNLEASH_OUTCOME_UNKNOWN', `${err.message}; check with "strangler rollout get"`);
  return new StatusError(err.status, err.code, `${err.message}; nothing changed`);
}

function halfAppliedError(message: string): StatusError {
  return new StatusError(503, 'STRANGLER_ERR_UNLEASH_HALF_APPLIED', `${message}; check with "strangler rollout get"`);
}

function describeParameters(parameters: Record<string, string>): string {
  return `rollout ${parameters.rollout}, ${STAGE_PARAMETER} ${parameters[STAGE_PARAMETER]}`;
}
