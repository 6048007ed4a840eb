import type { Stage } from '../core/config/types';
import type { Database, Queryable } from '../core/db/database';
import type { ChangeResult, InitialRouteState, RouteChange, RouteHistoryEntry, RouteState, StateStore } from '../core/state';
import { migrate } from './migrations';
import { StatusError } from '../core/errors';
import { afterChange, sameState, stagePercentConflict } from '../core/stage-percent';

export const STATE_CHANNEL = 'strangler_route_state';

interface RouteRow {
  route: string;
  stage: Stage;
  percent: number;
  version: string | number;
  updated_at: Date | string;
}

interface HistoryRow {
  id: string | number;
  route: string;
  at: Date | string;
  actor: string;
  reason: string;
  from_stage: Stage | null;
  from_percent: number | null;
  to_stage: Stage;
  to_percent: number;
}

/** Route state in PostgreSQL or PGlite: the same SQL on both. */
export class SqlStateStore implements StateStore {
  constructor(private readonly db: Database) {}

  get kind(): string {
    return this.db.kind;
  }

  async init(routes: InitialRouteState[]): Promise<void> {
    await migrate(this.db);
    for (const route of routes) {
      await this.db.transaction(async (tx) => {
        const inserted = await tx.query<{ route: string }>(
          `INSERT INTO strangler_routes (route, stage, percent) VALUES ($1, $2, $3)
           ON CONFLICT (route) DO NOTHING RETURNING route`,
          [route.route, route.stage, route.percent],
        );
        if (inserted.rows.length === 0) return;
        await insertHistory(tx, route.route, 'config', 'initial state from configuration', null, route);
      });
    }
  }

  async list(): Promise<RouteState[]> {
    const { rows } = await this.db.query<RouteRow>(
      'SELECT route, stage, percent, version, updated_at FROM strangler_routes ORDER BY route',
    );
    return rows.map(toRouteState);
  }

  async get(route: string): Promise<RouteState | undefined> {
    const { rows } = await this.db.query<RouteRow>(
      'SELECT route, stage, percent, version, updated_at FROM strangler_routes WHERE route = $1',
      [route],
    );
    return rows[0] ? toRouteState(rows[0]) : undefined;
  }

  async change(route: string, change: RouteChange): Promise<ChangeResult | undefined> {
    return this.db.transaction(async (tx) => {
      const current = await tx.query<RouteRow>(
        'SELECT route, stage, percent, version, updated_at FROM strangler_routes WHERE route = $1 FOR UPDATE',
        [route],
      );
      const before = current.rows[0];
      if (!before) return undefined;
      const to = afterChange(before, change);
      if (sameState(to, before)) return { state: toRouteState(before), changed: false };
      // The caller checked against the state it had read; another replica may have changed the stage since.
      const conflict = stagePercentConflict(route, to.stage, to.percent);
      if (conflict) throw new StatusError(409, 'STRANGLER_ERR_STATE_CONFLICT', conflict);
      const updated = await tx.query<RouteRow>(
        `UPDATE strangler_routes SET stage = $2, percent = $3, version = version + 1, updated_at = now()
         WHERE route = $1 RETURNING route, stage, percent, version, updated_at`,
        [route, to.stage, to.percent],
      );
      await insertHistory(tx, route, change.actor, change.reason, before, to);
      await tx.query(`SELECT pg_notify('${STATE_CHANNEL}', $1)`, [route]);
      return { state: toRouteState(updated.rows[0]!), changed: true };
    });
  }

  async history(route: string, limit = 100): Promise<RouteHistoryEntry[]> {
    const { rows } = await this.db.query<HistoryRow>(
      `SELECT id, route, at, actor, reason, from_stage, from_percent, to_stage, to_percent
       FROM strangler_route_history WHERE route = $1 ORDER BY id DESC LIMIT $2`,
      [route, limit],
    );
    return rows.map(toHistoryEntry);
  }

  async record(entry: Omit<RouteHistoryEntry, 'id' | 'at'>): Promise<void> {
    await insertHistory(this.db, entry.route, entry.actor, entry.reason, entry.from, entry.to);
  }

  watch(onChange: () => void): Promise<() => Promise<void>> {
    return this.db.listen(STATE_CHANNEL, () => onChange());
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function insertHistory(
  tx: Queryable,
  route: string,
  actor: string,
  reason: string,
  from: { stage: Stage; percent: number } | null,
  to: { stage: Stage; percent: number },
): Promise<void> {
  await tx.query(
    `INSERT INTO strangler_route_history (route, actor, reason, from_stage, from_percent, to_stage, to_percent)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [route, actor, reason, from?.stage ?? null, from?.percent ?? null, to.stage, to.percent],
  );
}

function toRouteState(row: RouteRow): RouteState {
  return {
    route: row.route,
    stage: row.stage,
    percent: Number(row.percent),
    version: Number(row.version),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function toHistoryEntry(row: HistoryRow): RouteHistoryEntry {
  return {
    id: Number(row.id),
    route: row.route,
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    reason: row.reason,
    from: row.from_stage === null ? null : { stage: row.from_stage, percent: Number(row.from_percent) },
    to: { stage: row.to_stage, percent: Number(row.to_percent) },
  };
}
