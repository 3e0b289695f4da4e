import { useEffect, useState } from 'react';
import type { EstimateView } from '@pikflow/pipeline';
import { api, errorMessage } from '../lib/api-client.ts';
import { useEditorStore } from '../store/editor-store.ts';

const number = (n: number) => n.toLocaleString('en');

/** Money as the price table gives it: a currency code when it is one, else the unit (credits) after the amount. */
function money(cost: NonNullable<EstimateView['cost']>): string {
  if (/^[A-Z]{3}$/.test(cost.currency)) {
    try {
      return new Intl.NumberFormat('en', { style: 'currency', currency: cost.currency, maximumFractionDigits: 4 }).format(cost.amount);
    } catch {
      // not a currency Intl knows: fall through
    }
  }
  return `${number(cost.amount)} ${cost.currency}`;
}

/**
 * What `runs` runs of the saved pipeline will ask of Freepik, before anything is spent: the
 * server's estimate (POST /api/pipelines/:id/estimate), per service against today's quota,
 * and the money when a price table is configured.
 */
export function EstimateSummary({ runs }: { runs: number }) {
  const pipelineId = useEditorStore((s) => s.pipeline.id);
  const version = useEditorStore((s) => s.pipeline.latestVersion);
  const dirty = useEditorStore((s) => s.isDirty());
  const [estimate, setEstimate] = useState<EstimateView | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!pipelineId) return;
    let alive = true;
    api
      .estimate(pipelineId, runs)
      .then((e) => alive && (setEstimate(e), setError(null)))
      .catch((e) => alive && (setEstimate(null), setError(errorMessage(e))));
    return () => {
      alive = false;
    };
  }, [pipelineId, runs, version]);

  if (!pipelineId) return <p className="pik-muted" data-testid="run-estimate">The Freepik requests it needs are estimated once the pipeline is saved.</p>;
  if (error) return <p className="pik-muted" data-testid="run-estimate">No estimate: {error}</p>;
  if (!estimate || estimate.runs !== runs) return <p className="pik-muted" data-testid="run-estimate">Estimating…</p>;
  const what = runs === 1 ? 'This run' : `This batch of ${number(runs)} runs`;
  const blocked = estimate.services.filter((s) => !s.fitsToday);
  return (
    <section className="pik-estimate" aria-label="Estimate" data-testid="run-estimate" data-submissions={estimate.submissions} data-fits-today={estimate.fitsToday}>
      <p>
        {what}: <strong data-testid="run-estimate-total">{number(estimate.submissions)} Freepik request{estimate.submissions === 1 ? '' : 's'}</strong>
        {runs > 1 && estimate.submissionsPerRun ? ` (${estimate.submissionsPerRun} per run)` : ''}
        {estimate.cost ? (
          <>
            {' '}
            · about <strong data-testid="run-estimate-cost">{money(estimate.cost)}</strong>
          </>
        ) : null}
        {dirty ? <span className="pik-muted"> — for the saved version; unsaved changes may change it</span> : null}
      </p>
      {estimate.services.length > 0 && (
        <ul className="pik-estimate-services">
          {estimate.services.map((s) => (
            <li key={s.service} data-testid={`run-estimate-${s.service}`}>
              <span className="pik-mono">{s.service}</span> {number(s.submissions)}
              {s.remainingToday !== undefined && <span className="pik-muted"> · {number(s.remainingToday)} of {number(s.perDay ?? 0)} left today</span>}
            </li>
          ))}
        </ul>
      )}
      {blocked.map((s) => (
        <p key={s.service} className="pik-warning" role="note" data-testid="run-estimate-problem">
          {s.problem ??
            `${s.service}: ${number(s.submissions)} requests needed, ${number(s.remainingToday ?? 0)} left in today's quota — what does not fit waits for tomorrow's quota.`}
        </p>
      ))}
    </section>
  );
}
