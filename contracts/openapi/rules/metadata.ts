/**
 * Descriptive metadata: operation ids (a changed id is reported as removed, like oasdiff: generated clients
 * lose the old method name), operation tags and schemas removed from `components.schemas`. `info.version`
 * is judged by the versioning policy (versioning.ts), after every rule.
 */
import { q, type DiffContext } from '../context';
import { matchedOperations } from './common';

export function checkMetadata(ctx: DiffContext): void {
  for (const { base, revision: op } of matchedOperations(ctx)) {
    if (base.operationId !== op.operationId) {
      if (base.operationId === undefined) ctx.emitOp('api-operation-id-added', op, `the operation id ${q(op.operationId)} was added`);
      else if (op.operationId === undefined) ctx.emitOp('api-operation-id-removed', op, `the operation id ${q(base.operationId)} was removed`);
      else ctx.emitOp('api-operation-id-removed', op, `the operation id changed from ${q(base.operationId)} to ${q(op.operationId)}`);
    }
    for (const tag of base.tags) if (!op.tags.includes(tag)) ctx.emitOp('api-tag-removed', op, `the tag ${q(tag)} was removed`);
    for (const tag of op.tags) if (!base.tags.includes(tag)) ctx.emitOp('api-tag-added', op, `the tag ${q(tag)} was added`);
  }
  for (const name of ctx.base.schemas.keys()) {
    if (!ctx.revision.schemas.has(name)) {
      const schemas = (ctx.revision.root.components as Record<string, unknown> | undefined)?.schemas;
      ctx.emit('api-schema-removed', `the schema ${q(name)} was removed from components`, { node: schemas ?? ctx.revision.root, file: ctx.revision.file });
    }
  }
}
