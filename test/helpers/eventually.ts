/** Polls `check` until it holds; throws after `timeoutMs`. Resolves with the time it took, in ms. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000, pollMs = 20): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return Date.now() - started;
}
