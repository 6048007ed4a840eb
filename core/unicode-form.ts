/**
 * Two values that differ only in Unicode normalisation ("Ō" as one code point, NFC, or as "O" and a
 * combining macron, NFD) print identically: a report or `diff show` says so next to them, or the reader sees
 * a difference between two equal-looking values and nothing to explain it.
 */

/** `NFC`, `NFD`, or `mixed` (neither form throughout). */
function formOf(text: string): string {
  if (text === text.normalize('NFC')) return 'NFC';
  return text === text.normalize('NFD') ? 'NFD' : 'mixed';
}

/** `same text, different Unicode normalisation: NFC vs NFD` when the two differ only that way; otherwise undefined. */
export function normalisationNote(legacy: string | null | undefined, candidate: string | null | undefined): string | undefined {
  if (legacy === null || legacy === undefined || candidate === null || candidate === undefined || legacy === candidate) return undefined;
  if (legacy.normalize('NFC') !== candidate.normalize('NFC')) return undefined;
  return `same text, different Unicode normalisation: ${formOf(legacy)} vs ${formOf(candidate)}`;
}
