import { CommitOutcomeUnknownError } from './db/database';
import { StatusError } from './errors';

/**
 * A state store failure is the store's, not the caller's: 503. For a change the message says nothing changed,
 * unless the connection was lost after COMMIT was sent, when the change may have been applied.
 */
export async function storeCall<T>(call: () => Promise<T>, kind: 'change' | 'read' = 'read'): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof StatusError) throw err;
    const message = (err as Error).message;
    if (kind === 'read') throw new StatusError(503, 'STRANGLER_ERR_STATE_UNREACHABLE', `state store unreachable: ${message}`);
    if (err instanceof CommitOutcomeUnknownError) {
      throw new StatusError(503, 'STRANGLER_ERR_STATE_OUTCOME_UNKNOWN', `state store unreachable: ${message}; check with "strangler rollout get" and "strangler rollout history"`);
    }
    throw new StatusError(503, 'STRANGLER_ERR_STATE_UNREACHABLE', `state store unreachable, nothing changed: ${message}`);
  }
}
