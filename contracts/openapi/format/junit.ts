/**
 * A JUnit XML report: one testsuite, one testcase per change (classname = the endpoint, name = the check
 * id); a change at or above the failing level (`--fail-on`, ERR when not given) is a <failure>, the others
 * pass and carry their text in <system-out>. No changes: one passing testcase, so CI shows the check ran.
 */
import type { Change, Level } from '../types';
import { levelRank } from '../types';

export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function formatJunit(changes: Change[], failOn: Level = 'ERR'): string {
  const failing = changes.filter((c) => levelRank(c.level) >= levelRank(failOn)).length;
  const tests = Math.max(changes.length, 1);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="openapi-diff" tests="${tests}" failures="${failing}">`];
  out.push(`  <testsuite name="openapi-diff" tests="${tests}" failures="${failing}" errors="0" skipped="0">`);
  if (changes.length === 0) out.push('    <testcase classname="openapi" name="no changes"/>');
  for (const c of changes) {
    const classname = xmlEscape(c.operation || c.path ? `${c.operation} ${c.path}`.trim() : 'components');
    out.push(`    <testcase classname="${classname}" name="${xmlEscape(c.id)}" file="${xmlEscape(c.source.replace(/:\d+$/, ''))}">`);
    const body = `${c.level} ${c.id} at ${c.source}: ${c.text}`;
    if (levelRank(c.level) >= levelRank(failOn)) out.push(`      <failure message="${xmlEscape(c.text)}" type="${xmlEscape(c.id)}">${xmlEscape(body)}</failure>`);
    else out.push(`      <system-out>${xmlEscape(body)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
