import { explainError, type ChainErrorInfo } from '@/lib/abort';
import { GqlError } from '@/lib/graphql';

/** An error, with a chain abort shown by its code name and description. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  let info: ChainErrorInfo;
  if (error instanceof GqlError) {
    info = { code: error.code, module: null, description: error.message, raw: error.message };
  } else if (typeof error === 'object' && error !== null && 'raw' in error && 'description' in error) {
    info = error as ChainErrorInfo;
  } else {
    info = explainError(error);
  }
  return (
    <div className="rounded-lg border border-rose-200 bg-rose-50 p-3 text-sm text-rose-900" role="alert" data-testid="error">
      {title && <div className="font-semibold">{title}</div>}
      <div>
        {info.code && <span className="mr-2 font-mono font-semibold" data-testid="error-code">{info.code}</span>}
        {info.module && <span className="mr-2 font-mono text-xs text-rose-700">({info.module})</span>}
        <span>{info.description}</span>
      </div>
      {info.raw && info.raw !== info.description && (
        <details className="mt-1 text-xs text-rose-700">
          <summary className="cursor-pointer">details</summary>
          <pre className="whitespace-pre-wrap break-all">{info.raw}</pre>
        </details>
      )}
    </div>
  );
}
