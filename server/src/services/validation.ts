import { PikflowError } from '@pikflow/catalog';
import { validatePipeline, type PipelineDocument, type PipelineProblem } from '@pikflow/pipeline';

function summarise(problems: PipelineProblem[]): string {
  const head = problems
    .slice(0, 3)
    .map((p) => p.message)
    .join('; ');
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
  return `The pipeline has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${head}${more}`;
}

/**
 * Checks a document before it is stored. Every problem is reported at once (node id,
 * field, message). `draft` keeps work in progress savable: the problems come back with
 * the saved version instead of refusing it (a run of such a version is refused).
 */
export function checkDocument(input: unknown, options: { draft?: boolean } = {}): { document: PipelineDocument; problems: PipelineProblem[] } {
  const result = validatePipeline(input);
  if (result.ok && result.document) return { document: result.document, problems: [] };
  // A draft keeps graph problems, but never a malformed entry: it would be dropped from the saved copy.
  const malformed = result.problems.some((p) => p.code === 'invalid_document');
  if (options.draft && result.document && !malformed) return { document: result.document, problems: result.problems };
  const first = result.problems[0];
  throw new PikflowError('validation_failed', summarise(result.problems), {
    ...(result.problems.length === 1 && first?.nodeId ? { nodeId: first.nodeId } : {}),
    ...(result.problems.length === 1 && first?.field ? { field: first.field } : {}),
    problems: result.problems,
  });
}
