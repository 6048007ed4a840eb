/** `{"changes": [...]}`, each change with exactly id, level, operation, path, source, text. */
import type { Change } from '../types';

export function formatJson(changes: Change[]): string {
  const out = changes.map((c) => ({ id: c.id, level: c.level, operation: c.operation, path: c.path, source: c.source, text: c.text }));
  return JSON.stringify({ changes: out }, null, 2) + '\n';
}
