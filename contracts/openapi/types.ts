/** Shared shapes of the OpenAPI diff: one change as oasdiff reports it, and the options of a run. */
import type { SeverityLevels } from './severity-levels';

export type Level = 'ERR' | 'WARN' | 'INFO';

export const LEVELS: readonly Level[] = ['INFO', 'WARN', 'ERR'];

/** INFO < WARN < ERR. */
export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

export interface Change {
  /** oasdiff's check id, e.g. `response-property-became-optional`. */
  id: string;
  level: Level;
  /** HTTP method in upper case (`GET`), or '' for a change outside paths (components, security schemes). */
  operation: string;
  /** The API path as written in the revision (or the base, when removed), or '' outside paths. */
  path: string;
  /** Where in the documents: `file:line` of the node in the revision (the base for a removal). */
  source: string;
  /** One sentence for people. */
  text: string;
}

export interface DiffOptions {
  /**
   * oasdiff's sunset grace periods (`--deprecation-days-beta`, `--deprecation-days-stable`). 0 (the default,
   * like oasdiff's) makes `x-sunset` optional; above 0, deprecating without `x-sunset` is
   * `api-deprecated-sunset-missing` and a sunset closer than that many days is `api-sunset-date-too-small`.
   */
  deprecationDaysBeta?: number;
  deprecationDaysStable?: number;
  /** "Today" for the sunset rules (tests pin it); default: the current date. */
  now?: Date;
  /** oasdiff's `--severity-levels`: a level per check id (`none` drops it); see severity-levels.ts. */
  severityLevels?: SeverityLevels;
  /** The file `severityLevels` was read from; `--engine oasdiff` hands it to oasdiff as is. */
  severityLevelsFile?: string;
  /**
   * oasdiff's `--flatten-allof`: allOf subschemas are merged into one schema in both specs before comparing,
   * so an equivalent rewrite (`$ref: X` → `allOf: [$ref: X]`, a schema split into parts) reports nothing.
   */
  flattenAllOf?: boolean;
}
