/** Pairs the two specs' paths and operations, the way every rule walks them. */
import type { DiffContext } from '../context';
import type { Operation, PathEntry } from '../model';

export interface OperationPair {
  base: Operation;
  revision: Operation;
}

/** Operations present in both specs (matched by method and path template). */
export function* matchedOperations(ctx: DiffContext): Generator<OperationPair> {
  for (const [key, revPath] of ctx.revision.paths) {
    const basePath = ctx.base.paths.get(key);
    if (!basePath) continue;
    for (const [method, revision] of revPath.operations) {
      const base = basePath.operations.get(method);
      if (base) yield { base, revision };
    }
  }
}

/** Paths present in both specs. */
export function* matchedPaths(ctx: DiffContext): Generator<{ base: PathEntry; revision: PathEntry }> {
  for (const [key, revision] of ctx.revision.paths) {
    const base = ctx.base.paths.get(key);
    if (base) yield { base, revision };
  }
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
