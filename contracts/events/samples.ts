/**
 * The sample events file for `events-validate`: JSON lines (one event per line; blank lines skipped) or a
 * JSON array (or a single object), each event
 *
 *     { "event": "order-placed", "version": 2, "data": { ... } }
 *
 * `event` names the event, `version` (optional, a positive integer) picks the schema version — without it the
 * highest version known for that event is used — and `data` is the event itself, the value the schema
 * validates (paths in failures start at `$` = `data`).
 *
 * A file that cannot be read or parsed is an `EventContractError`; an entry of the wrong shape is not: it is
 * kept and reported as a validation failure of that entry.
 */
import { readFileSync } from 'node:fs';
import { EventContractError, describeFsError } from './errors';
import { parseJsonText } from './json-text';

export interface SampleEvent {
  /** 0-based position in the file (line order for JSON lines, array index for an array). */
  index: number;
  /** 1-based line where the entry starts, for JSON lines (and a file of one object). */
  line?: number;
  /** The entry as written. */
  entry: unknown;
}

export function readSampleEvents(file: string): SampleEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EventContractError(file, `cannot read: ${describeFsError(err)}`);
  }
  return parseSampleEvents(text, file);
}

export function parseSampleEvents(text: string, file: string): SampleEvent[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const start = body.trimStart()[0];
  if (start === undefined) throw new EventContractError(file, 'no events: expected JSON lines or a JSON array of {"event", "version"?, "data"}');

  if (start === '[') {
    const value = parseJsonText(body, file) as unknown[];
    if (value.length === 0) throw new EventContractError(file, 'no events: the array is empty');
    return value.map((entry, index) => ({ index, entry }));
  }
  if (start === '{') {
    // One object over several lines is a file of one event, not JSON lines.
    try {
      const entry: unknown = JSON.parse(body);
      return [{ index: 0, line: body.slice(0, body.indexOf('{')).split('\n').length, entry }];
    } catch {
      // fall through to JSON lines
    }
  }
  const events: SampleEvent[] = [];
  const lines = body.split('\n');
  lines.forEach((raw, i) => {
    const lineText = raw.replace(/\r$/, '');
    if (lineText.trim() === '') return;
    const entry = parseJsonText(lineText, file, { firstLine: i + 1 });
    events.push({ index: events.length, line: i + 1, entry });
  });
  return events;
}
