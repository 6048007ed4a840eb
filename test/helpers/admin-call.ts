export interface AdminReply {
  status: number;
  /** The body parsed as JSON, or {} when it is not JSON (metrics are text). */
  json: Record<string, unknown>;
  text: string;
}

/** One admin API request with the given headers (the bearer token, or a wrong one, or none). */
export async function adminCall(baseUrl: string, method: string, path: string, body: unknown, headers: Record<string, string>): Promise<AdminReply> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return { status: response.status, json, text };
}
