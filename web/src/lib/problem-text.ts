/**
 * Validation messages name their node ("node upscale (Magnific …): sharpen must be at most
 * 100"). Shown on that node or at its field, the prefix is noise: drop it.
 */
export function onNodeText(message: string): string {
  const m = /^node [^\s:]+(?: \([^)]*\))?:?\s+(.*)$/s.exec(message);
  if (!m) return message;
  const rest = m[1];
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}
