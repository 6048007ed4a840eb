/** `${NAME}` / `${NAME:-default}` substitution in the scalar values of a parsed strangler.yaml. */
import type { ConfigIssue } from '../errors';
import { fieldPath, type ConfigNode } from './schema';

export type Env = Readonly<Record<string, string | undefined>>;

export type Interpolated =
  | {
      ok: true;
      value: string;
      /** Names referenced, in order, without repeats. */
      vars: string[];
      /** No variable gave a value: the value is the text and defaults written in the file. */
      defaulted: boolean;
    }
  | { ok: false; message: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Substitutes every `${NAME}` / `${NAME:-default}` in `raw`; `$${` stands for a literal `${`. */
export function interpolate(raw: string, env: Env): Interpolated {
  let value = '';
  const vars: string[] = [];
  let fromEnvironment = false;
  let i = 0;
  while (i < raw.length) {
    if (raw.startsWith('$${', i)) {
      value += '${';
      i += 3;
      continue;
    }
    if (!raw.startsWith('${', i)) {
      value += raw[i];
      i += 1;
      continue;
    }
    const close = raw.indexOf('}', i + 2);
    if (close < 0) {
      return { ok: false, message: 'unterminated "${" (write "$${" for a literal "${")' };
    }
    const body = raw.slice(i + 2, close);
    const sep = body.indexOf(':-');
    const name = sep < 0 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      return {
        ok: false,
        message: `invalid environment reference "\${${body}}" (expected \${NAME} or \${NAME:-default})`,
      };
    }
    if (!vars.includes(name)) vars.push(name);
    const set = env[name];
    // Shell semantics: `:-` also replaces a variable that is set but empty.
    if (sep >= 0 && (set === undefined || set === '')) {
      value += body.slice(sep + 2);
    } else if (set === undefined) {
      return { ok: false, message: `environment variable ${name} is not set` };
    } else {
      value += set;
      fromEnvironment = true;
    }
    i = close + 1;
  }
  return { ok: true, value, vars, defaulted: !fromEnvironment };
}

/**
 * Replaces the string scalars of `node` (not keys) by their interpolated value, marking each with the
 * variables it used so later messages never echo it (unless every one fell back to its default, which is
 * text from the file). A failed reference is reported here and its node
 * marked `unresolved`, so the schema stays silent about it.
 */
export function substituteEnv(node: ConfigNode, path: string, env: Env, file: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const visit = (n: ConfigNode, at: string): void => {
    if (n.kind === 'map') {
      for (const entry of n.entries) visit(entry.value, fieldPath(at, entry.key));
    } else if (n.kind === 'seq') {
      n.items.forEach((item, index) => visit(item, fieldPath(at, index)));
    } else if (typeof n.value === 'string' && n.value.includes('${')) {
      const result = interpolate(n.value, env);
      if (result.ok) {
        n.value = result.value;
        if (result.vars.length > 0) n.env = result.vars;
        if (result.vars.length > 0 && result.defaulted) n.defaulted = true;
      } else {
        n.unresolved = true;
        issues.push({ file, line: n.line, path: at, message: result.message });
      }
    }
  };
  visit(node, path);
  return issues;
}

const OPEN = '\uE000';
const CLOSE = '\uE001';
// Only references without quotes or backslashes are protected; others sit inside quoted scalars already.
const REFERENCE = /\$?\$\{[^}\r\n"'\\]*\}/g;
const PLACEHOLDER = /\uE000(\d+)\uE001/g;

/**
 * `${NAME}` is not valid inside a YAML flow collection (`{ token: ${TOKEN} }`), where `{` and `}` are
 * syntax. Before parsing, each reference is swapped for a placeholder that YAML reads as plain text and
 * that spans no line break, so line numbers stay exact; `restore` turns placeholders back into the
 * original reference text, which `interpolate` then resolves.
 */
export function protectReferences(text: string): { text: string; restore: (s: string) => string } {
  if (text.includes(OPEN) || text.includes(CLOSE)) return { text, restore: (s) => s };
  const originals: string[] = [];
  const masked = text.replace(REFERENCE, (ref) => `${OPEN}${originals.push(ref) - 1}${CLOSE}`);
  const restore = (s: string): string =>
    s.includes(OPEN) ? s.replace(PLACEHOLDER, (_, index: string) => originals[Number(index)] ?? '') : s;
  return { text: masked, restore };
}
