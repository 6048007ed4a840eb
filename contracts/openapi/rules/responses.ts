/**
 * Responses: status codes removed or added (a numeric 2xx is a success status: removing one is ERR; `2XX`
 * and `default` are not numeric and are not judged, as in oasdiff), media types removed (ERR) or added,
 * schemas appearing or disappearing, each media type's schema through the walker in the response direction
 * (what may come back may only shrink), and response headers (required one removed: ERR; optional one
 * removed: WARN; became optional: ERR; added: INFO; the header schema through the walker).
 */
import type { DiffContext } from '../context';
import type { Operation, Response } from '../model';
import { compareSchemas, type ChangeDistances } from '../schema-diff';
import { matchedOperations } from './common';

function successStatus(status: string): boolean | undefined {
  if (!/^\d{3}$/.test(status)) return undefined;
  const n = Number(status);
  return n >= 200 && n <= 299;
}

export function checkResponses(ctx: DiffContext, distances: ChangeDistances): void {
  for (const { base, revision: op } of matchedOperations(ctx)) {
    for (const [status, br] of base.responses) {
      if (op.responses.has(status)) continue;
      const success = successStatus(status);
      if (success === undefined) continue;
      ctx.emitOp(success ? 'response-success-status-removed' : 'response-non-success-status-removed', op, `removed the ${success ? 'success' : 'non-success'} response with the status '${br.status}'`, op.node);
    }
    for (const [status, rr] of op.responses) {
      const br = base.responses.get(status);
      if (!br) {
        const success = successStatus(status);
        if (success !== undefined) ctx.emitOp(success ? 'response-success-status-added' : 'response-non-success-status-added', op, `added the ${success ? 'success' : 'non-success'} response with the status '${rr.status}'`, rr.node);
        continue;
      }
      compareResponse(ctx, op, br, rr, distances);
    }
  }
}

function compareResponse(ctx: DiffContext, op: Operation, br: Response, rr: Response, distances: ChangeDistances): void {
  const status = rr.status;
  for (const name of br.content.keys()) {
    if (!rr.content.has(name)) ctx.emitOp('response-media-type-removed', op, `removed the media type '${name}' from the response with the status '${status}'`, rr.node);
  }
  for (const [name, rm] of rr.content) {
    const bm = br.content.get(name);
    if (!bm) {
      ctx.emitOp('response-media-type-added', op, `added the media type '${name}' to the response with the status '${status}'`, rm.node);
      continue;
    }
    if (!bm.schema && rm.schema) ctx.emitOp('response-body-media-type-schema-added', op, `added a schema to the media type '${name}' of the response with the status '${status}'`, rm.node);
    if (bm.schema && !rm.schema) ctx.emitOp('response-body-media-type-schema-removed', op, `removed the schema of the media type '${name}' of the response with the status '${status}'`, rm.node);
    if (!bm.schema || !rm.schema) continue;
    const label = rr.content.size > 1 ? `response body (${status}, ${name})` : `response body (${status})`;
    compareSchemas({ ctx, op, direction: 'response', scope: 'body', mediaType: name, label }, bm.schema, rm.schema, distances);
  }
  for (const [key, bh] of br.headers) {
    if (rr.headers.has(key)) continue;
    if (bh.required) ctx.emitOp('required-response-header-removed', op, `removed the required response header '${bh.name}' from the response with the status '${status}'`, rr.node);
    else ctx.emitOp('optional-response-header-removed', op, `removed the optional response header '${bh.name}' from the response with the status '${status}'`, rr.node);
  }
  for (const [key, rh] of rr.headers) {
    const bh = br.headers.get(key);
    if (!bh) {
      ctx.emitOp('response-header-added', op, `added the response header '${rh.name}' to the response with the status '${status}'`, rh.node);
      continue;
    }
    if (bh.required && !rh.required) ctx.emitOp('response-header-became-optional', op, `the response header '${rh.name}' of the response with the status '${status}' became optional`, rh.node);
    if (bh.schema && rh.schema) {
      compareSchemas({ ctx, op, direction: 'response', scope: 'header', label: `response header '${rh.name}' (${status})` }, bh.schema, rh.schema, distances);
    }
  }
}
