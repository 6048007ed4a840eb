/** Pairs the two specs' paths and operations, the way every rule walks them. */
import type { DiffContext } from '../context';
import type { Operation } from '../model';

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
