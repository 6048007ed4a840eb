import type { InteractionResult, VerifyPactsResult } from './verify';

export type PactVerifyFormat = 'text' | 'json';
export const PACT_VERIFY_FORMATS: readonly PactVerifyFormat[] = ['text', 'json'];

export function formatPactVerification(result: VerifyPactsResult, format: PactVerifyFormat): string {
  return format === 'json' ? JSON.stringify(result, null, 2) + '\n' : formatText(result);
}

/** One line per interaction, ✓ or ✗, the mismatches on the same line; then notes and a one-line total. */
function formatText(result: VerifyPactsResult): string {
  const lines = result.interactions.map(interactionLine);
  for (const note of result.notes) lines.push(`note: ${note}`);
  const failed = result.interactions.filter((interaction) => !interaction.ok && !interaction.pending).length;
  const pending = result.interactions.filter((interaction) => !interaction.ok && interaction.pending).length;
  const consumers = [...new Set(result.interactions.map((interaction) => interaction.consumer))].join(', ');
  const total = result.interactions.length;
  const head = `${result.provider} at ${result.providerUrl}`;
  const tail = pending > 0 ? `, ${pending} pending failed (not counted)` : '';
  lines.push(
    result.ok
      ? `${head}: verified, ${total} of ${total} interaction(s) from ${consumers}${tail}`
      : `${head}: FAILED, ${failed} of ${total} interaction(s) from ${consumers}${tail}`,
  );
  return lines.join('\n') + '\n';
}

function interactionLine(interaction: InteractionResult): string {
  const mark = interaction.ok ? '✓' : interaction.pending ? '~' : '✗';
  const state = interaction.providerState === undefined ? '' : ` (given ${interaction.providerState})`;
  const pending = interaction.pending ? ' [pending]' : '';
  const why = interaction.ok ? '' : ` — ${interaction.mismatches.map((m) => m.replace(/\s*\n\s*/g, ' ')).join('; ')}`;
  return `${mark} ${interaction.consumer}: ${interaction.description}${state}${pending}${why}`;
}
