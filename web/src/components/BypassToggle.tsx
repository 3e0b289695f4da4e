import { toggleBypass } from '../lib/bypass.ts';

/** The inspector's bypass switch (Ctrl+B on the canvas does the same). */
export function BypassToggle({ nodeId, on }: { nodeId: string; on: boolean }) {
  return (
    <label className="pik-bypass-toggle" title="Bypass (Ctrl+B): nothing is sent for this node; each output passes on a same-typed input">
      <input type="checkbox" checked={on} onChange={() => toggleBypass([nodeId])} data-testid="bypass-toggle" />
      Bypass
    </label>
  );
}
