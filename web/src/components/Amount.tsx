import { formatMove, formatMoveNumber, formatOctas, octasOrNull } from '@/lib/amount';

/** An amount of octas shown as MOVE with 8 decimals; the exact octas on hover. */
export function Amount({
  octas,
  unit = true,
  className = '',
  testId,
}: {
  octas: string | bigint | null | undefined;
  unit?: boolean;
  className?: string;
  testId?: string;
}) {
  const v = typeof octas === 'bigint' ? octas : octasOrNull(octas ?? null);
  if (v === null) return <span className={className}>—</span>;
  return (
    <span className={`font-mono tabular-nums ${className}`} title={formatOctas(v)} data-testid={testId} data-octas={v.toString()}>
      {unit ? formatMove(v) : formatMoveNumber(v)}
    </span>
  );
}
