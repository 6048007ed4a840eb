import { StatusError } from './errors';

/** A state store failure is the store's, not the caller's: 503, and the message says nothing changed. */
export async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw new StatusError(503, 'STRANGLER_ERR_STATE_UNREACHABLE', `state store unreachable, nothing changed: ${(err as Error).message}`);
  }
}
