/** The report formats, by name. */
import type { Change, Level } from '../types';
import { formatGithubActions } from './githubactions';
import { formatJson } from './json';
import { formatJunit } from './junit';
import { formatMarkdown } from './markdown';
import { formatText } from './text';

export const OPENAPI_DIFF_FORMATS = ['text', 'markdown', 'json', 'githubactions', 'junit'] as const;
export type OpenApiDiffFormat = (typeof OPENAPI_DIFF_FORMATS)[number];

export function formatChanges(changes: Change[], format: OpenApiDiffFormat, failOn?: Level): string {
  switch (format) {
    case 'markdown':
      return formatMarkdown(changes, failOn);
    case 'json':
      return formatJson(changes);
    case 'githubactions':
      return formatGithubActions(changes);
    case 'junit':
      return formatJunit(changes, failOn);
    default:
      return formatText(changes);
  }
}
