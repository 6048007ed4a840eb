/**
 * The native OpenAPI 3.0/3.1 breaking-change engine: load both specs, run each rule family, return the
 * changes with oasdiff's ids and levels, most severe first.
 *
 *   const changes = diffOpenApi('base.yaml', 'revision.yaml');
 *
 * Unreadable input (missing file, bad YAML/JSON, not OpenAPI 3, a `$ref` that goes nowhere) throws an
 * `OpenApiLoadError` whose message is one line: `file:line: reason`.
 */
import { DiffContext } from './context';
import { loadSpec, type Spec } from './model';
import { checkDeprecation } from './rules/deprecation';
import { checkEndpoints } from './rules/endpoints';
import { checkMetadata } from './rules/metadata';
import { checkParameters } from './rules/parameters';
import { checkRequestBodies } from './rules/request-body';
import { checkResponses } from './rules/responses';
import { checkSecurity } from './rules/security';
import type { ChangeDistances } from './schema-diff';
import { applySeverityLevels } from './severity-levels';
import { levelRank, type Change, type DiffOptions } from './types';
import { versioningViolation } from './versioning';

export { OpenApiLoadError } from './load';
export { levelOf, isCheckId, allCheckIds } from './checks';
export type { Change, DiffOptions, Level } from './types';
export { levelRank } from './types';
export { readSeverityLevels, parseSeverityLevels, SeverityLevelsError, type SeverityLevels } from './severity-levels';

export function diffOpenApi(baseFile: string, revisionFile: string, options: DiffOptions = {}): Change[] {
  const load = { flattenAllOf: options.flattenAllOf };
  return diffSpecs(loadSpec(baseFile, load), loadSpec(revisionFile, load), options);
}

export function diffSpecs(base: Spec, revision: Spec, options: DiffOptions = {}): Change[] {
  const ctx = new DiffContext(base, revision, options);
  const distances: ChangeDistances = new Map();
  checkEndpoints(ctx);
  checkDeprecation(ctx);
  checkParameters(ctx, distances);
  checkRequestBodies(ctx, distances);
  checkResponses(ctx, distances);
  checkSecurity(ctx);
  checkMetadata(ctx);
  // The versioning policy judges the result at its configured levels, so it runs last.
  const violation = versioningViolation(applySeverityLevels(ctx.changes, options.severityLevels), base.info.version, revision.info.version);
  if (violation) ctx.emit(violation.id, violation.text, { node: revision.info, file: revision.file });
  return sortChanges(applySeverityLevels(ctx.changes, options.severityLevels));
}

export function sortChanges(changes: Change[]): Change[] {
  return changes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => levelRank(b.c.level) - levelRank(a.c.level) || a.c.path.localeCompare(b.c.path) || a.c.operation.localeCompare(b.c.operation) || a.i - b.i)
    .map((x) => x.c);
}
