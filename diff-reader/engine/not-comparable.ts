/** Two answers the engine cannot compare: the comparison is an error naming why, neither match nor mismatch. */
export class NotComparableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Neither body could be decoded (an unsupported or broken content-encoding on both sides, or both past
 * maxDecodedBytes): nothing is known about how they differ, so this is no mismatch.
 */
export class UndecodableBodiesError extends NotComparableError {
  constructor(legacyError: string, candidateError: string) {
    super(`neither body could be decoded (legacy: ${legacyError}; new service: ${candidateError})`);
  }
}

/**
 * Pairing the elements of unordered arrays within a tolerance grows with the product of their sizes at
 * every level of nesting; past the budget the comparison stops rather than hold the proxy's event loop.
 */
export class DiffBudgetExceededError extends NotComparableError {
  constructor(budget: number) {
    super(`comparison stopped after ${budget} element comparisons: unordered arrays paired within a tolerance are too large or too deeply nested (compare them in order, or without tolerance)`);
  }
}
