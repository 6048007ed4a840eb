/** Errors with stable codes, in the manner of fastify's FST_ERR_*: callers match on `code`, people read `message`. */
export class StranglerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StranglerError';
  }
}

/** A configuration problem; `message` is the one-line form `file:line path: what was expected`. */
export class ConfigError extends StranglerError {
  constructor(
    readonly issues: ConfigIssue[],
  ) {
    super('STRANGLER_ERR_CONFIG', issues.map(formatConfigIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface ConfigIssue {
  file: string;
  /** 1-based line, when the location is known. */
  line?: number;
  /** Field path such as `routes[1].match.path`; empty for the whole file. */
  path: string;
  message: string;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** A failure with the HTTP status the admin API should answer with (404 unknown, 409 conflict, 502/503 upstream). */
export class StatusError extends StranglerError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
    this.name = 'StatusError';
  }
}
