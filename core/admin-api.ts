/**
 * The admin API's contract, shared by the proxy that serves it and the CLI that calls it: its header, the
 * answers' shapes and the rules both check before a change is sent or recorded.
 */
import type { ComparisonRecord, RouteComparisonCount } from './comparison';
import type { RouteConfig } from './config/types';
import type { RouteState } from './state';

/**
 * Set on every answer of the admin API: the CLI refuses an answer without it (say, --admin pointed at the
 * proxy's own port, where the monolith would answer the CLI's requests and see its token).
 */
export const ADMIN_API_HEADER = 'x-strangler-admin';

/** A route as `GET /routes` and `GET /routes/:name` describe it. */
export interface RouteSummary {
  name: string;
  stage: RouteState['stage'];
  percent: number;
  version: number;
  updatedAt: string;
  match: RouteConfig['match'];
  service: string | null;
  legacy: string;
  stickiness: string;
  flag: string;
  /** Set when unleash-client decides each request (the flag has strategies strangler does not manage); `percent` is then the least share. */
  flagRule: string | null;
}

/**
 * The answer to `PUT /routes/:name`: `changed` false when the route already had that stage and percent
 * (nothing recorded); `warning` when the change applied but something around it failed.
 */
export type RouteChangeAnswer = RouteSummary & { changed: boolean; warning?: string };

/**
 * The answer to `GET /comparisons/:requestId`: the newest comparison kept with that id (on `?route=` when
 * given), as it always was, and the other comparisons with the same id (a client's retries, or one id on
 * several routes): the next newest, up to `?limit=` in all, newest first, and how many are kept per route.
 */
export interface ComparisonsAnswer extends ComparisonRecord {
  others: ComparisonRecord[];
  kept: RouteComparisonCount[];
}

/** Comparisons `GET /comparisons/:requestId` answers with by default, and at most (`?limit=`). */
export const COMPARISONS_SHOWN = 10;
export const MAX_COMPARISONS_SHOWN = 100;

const MAX_REASON = 1000;
/**
 * Control characters, line breaks included, and the bidirectional overrides and isolates (which make a history
 * line read otherwise than it was stored): none may be in a recorded reason or actor.
 */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Why a change's reason cannot be recorded, or undefined. The history prints one change per line: a line break inside would break it. */
export function reasonProblem(reason: string): string | undefined {
  const why = reason.trim();
  if (CONTROL_CHARACTERS.test(why) || why.length > MAX_REASON) return `must be one line of at most ${MAX_REASON} characters, without control characters such as line breaks or bidirectional overrides`;
  return undefined;
}
