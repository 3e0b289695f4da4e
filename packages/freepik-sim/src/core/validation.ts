import type { z } from 'zod';
import { type InvalidParam, invalidParams } from './errors.ts';

type Issue = z.core.$ZodIssue;

/** A union's reason: what each alternative wanted, e.g. "Too big: expected number to be <=16 or scale_factor must be 2–16". */
function reasonOf(issue: Issue): string {
  if (issue.code === 'invalid_union' && issue.errors.length) {
    const reasons = issue.errors.map((alternative) => alternative.map(reasonOf).join('; ')).filter(Boolean);
    return [...new Set(reasons)].join(' or ');
  }
  return issue.message;
}

export function issuesToParams(issues: readonly Issue[]): InvalidParam[] {
  return issues.flatMap((issue) => {
    const at = issue.path.map(String);
    // A strict body names each field the seeds do not document.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ name: [...at, key].join('.'), reason: 'not a documented field' }));
    return [{ name: at.join('.') || 'body', reason: reasonOf(issue) }];
  });
}

/** Parses with a zod schema, or throws Freepik's 400 listing every invalid field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw invalidParams(issuesToParams(result.error.issues));
  return result.data;
}
