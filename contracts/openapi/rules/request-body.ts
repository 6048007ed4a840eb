/**
 * Request bodies: added (`request-body-added-required|optional`), removed (`request-body-removed`), became
 * required/optional, media types removed (ERR: the client's format is no longer accepted) or added, a media
 * type's schema appearing or disappearing, then each media type's schema through the walker (request
 * direction: what the server accepts may only grow).
 */
import type { DiffContext } from '../context';
import { compareSchemas, type ChangeDistances } from '../schema-diff';
import { matchedOperations } from './common';

export function checkRequestBodies(ctx: DiffContext, distances: ChangeDistances): void {
  for (const { base, revision: op } of matchedOperations(ctx)) {
    const bb = base.requestBody;
    const rb = op.requestBody;
    if (!bb && !rb) continue;
    if (!bb) {
      const req = rb!.required ? 'required' : 'optional';
      ctx.emitOp(`request-body-added-${req}`, op, `added a ${req} request body`, rb!.node);
      continue;
    }
    if (!rb) {
      ctx.emitOp('request-body-removed', op, 'removed the request body', op.node);
      continue;
    }
    if (!bb.required && rb.required) ctx.emitOp('request-body-became-required', op, 'the request body became required', rb.node);
    if (bb.required && !rb.required) ctx.emitOp('request-body-became-optional', op, 'the request body became optional', rb.node);
    for (const name of bb.content.keys()) {
      if (!rb.content.has(name)) ctx.emitOp('request-body-media-type-removed', op, `removed the media type '${name}' from the request body`, rb.node);
    }
    for (const [name, rm] of rb.content) {
      const bm = bb.content.get(name);
      if (!bm) {
        ctx.emitOp('request-body-media-type-added', op, `added the media type '${name}' to the request body`, rm.node);
        continue;
      }
      if (!bm.schema && rm.schema) ctx.emitOp('request-body-media-type-schema-added', op, `added a schema to the request body media type '${name}'`, rm.node);
      if (bm.schema && !rm.schema) ctx.emitOp('request-body-media-type-schema-removed', op, `removed the schema of the request body media type '${name}'`, rm.node);
      if (!bm.schema || !rm.schema) continue;
      const label = rb.content.size > 1 ? `request body (${name})` : 'request body';
      compareSchemas({ ctx, op, direction: 'request', scope: 'body', mediaType: name, label }, bm.schema, rm.schema, distances);
    }
  }
}
