/** Two answers the engine cannot compare: the comparison is an error naming why, neither match nor mismatch. */
export class NotComparableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The bodies could not be compared: neither decodes (broken or unsupported on both sides), or one cannot be
 * decoded here for a limit of the comparer (a coding this runtime lacks, past maxDecodedBytes), which says
 * nothing about the service. Not a mismatch; status and header differences, when there are any, still are.
 */
export class UndecodableBodiesError extends NotComparableError {
  constructor(legacyError: string | undefined, candidateError: string | undefined) {
    super(
      legacyError !== undefined && candidateError !== undefined
        ? `neither body could be decoded (legacy: ${legacyError}; new service: ${candidateError})`
        : `bodies not compared: ${legacyError !== undefined ? `legacy's` : `the new service's`} could not be decoded here (${legacyError ?? candidateError})`,
    );
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
