import { useEffect, useId, useState } from 'react';
import { controlSchema, fieldKind, humanize, optionText, schemaFields, usefulHelp, valueProblem, type JsonSchema } from '../lib/json-schema.ts';
import { ImagePicker } from './ImagePicker.tsx';

interface Props {
  name: string;
  schema: JsonSchema;
  value: unknown;
  required: boolean;
  onChange(value: unknown): void;
  /** A problem the server reported for this field. */
  serverProblem?: string;
  /** The input port of the same name is linked: the link provides the value. */
  linkedFrom?: string;
  testId: string;
}

function sameValue(a: unknown, b: unknown) {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface ControlIds {
  /** The main control's id (the label points at it). */
  id: string;
  labelId: string;
  /** The field's label text. */
  label: string;
  describedBy?: string;
}

function NumberControl({ schema, value, onChange, testId, range, ids }: { schema: JsonSchema; value: unknown; onChange(v: unknown): void; testId: string; range: boolean; ids: ControlIds }) {
  const s = controlSchema(schema);
  const integer = s.type === 'integer';
  const shown = value === undefined || value === null || value === '' ? schema.default : value;
  const numeric = typeof shown === 'string' && shown.trim() !== '' ? Number(shown) : (shown as number | undefined);
  const [text, setText] = useState(numeric === undefined || Number.isNaN(numeric) ? '' : String(numeric));
  useEffect(() => {
    setText((t) => (Number(t) === numeric && t !== '' ? t : numeric === undefined || Number.isNaN(numeric) ? '' : String(numeric)));
  }, [numeric]);
  const step = s.multipleOf ?? (integer ? 1 : s.maximum !== undefined && s.minimum !== undefined && s.maximum - s.minimum <= 2 ? 0.01 : 0.1);
  // No value and no default: the slider must not pretend the minimum was chosen.
  const unset = numeric === undefined || Number.isNaN(numeric);
  return (
    <div className="pik-number-row">
      {range && (
        <input
          type="range"
          className={unset ? 'pik-unset' : undefined}
          data-unset={unset ? 'true' : undefined}
          aria-valuetext={unset ? 'not set' : undefined}
          min={s.minimum}
          max={s.maximum}
          step={step}
          value={numeric ?? s.minimum ?? 0}
          onChange={(e) => onChange(Number(e.target.value))}
          aria-label={`${ids.label} (slider)`}
          aria-describedby={ids.describedBy}
          data-testid={`${testId}-slider`}
        />
      )}
      <input
        type="number"
        className="pik-number-box"
        id={ids.id}
        aria-describedby={ids.describedBy}
        min={s.minimum}
        max={s.maximum}
        step={step}
        value={text}
        placeholder={schema.default !== undefined ? String(schema.default) : 'not set'}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === '') onChange(undefined);
          else onChange(Number(e.target.value));
        }}
        data-testid={`${testId}-input`}
      />
    </div>
  );
}

export function ParamField({ name, schema, value, required, onChange, serverProblem, linkedFrom, testId }: Props) {
  const kind = fieldKind(schema);
  const s = controlSchema(schema);
  // Composite fields show their problems at the inner field that has them.
  const composite = kind === 'object' || kind === 'object-list';
  const localProblem = linkedFrom || composite ? null : valueProblem(schema, value, required);
  const problem = serverProblem ?? localProblem;
  const hasDefault = schema.default !== undefined;
  const changed = value !== undefined && hasDefault && !sameValue(value, schema.default);
  const label = s.title ?? humanize(name);
  const help = usefulHelp(label, s.description);
  const uid = useId();
  const ids: ControlIds = {
    id: `${uid}-control`,
    labelId: `${uid}-label`,
    label,
    describedBy: [help ? `${uid}-help` : '', problem ? `${uid}-error` : ''].filter(Boolean).join(' ') || undefined,
  };
  const a11y = { id: ids.id, 'aria-describedby': ids.describedBy, 'aria-invalid': problem ? true : undefined };

  let control: React.ReactNode;
  if (linkedFrom) {
    control = <div className="pik-linked">Provided by the link into “{linkedFrom}”</div>;
  } else
    switch (kind) {
      case 'image':
        control = (
          <ImagePicker
            value={typeof value === 'string' ? value : undefined}
            onChange={onChange}
            testId={testId}
            invalid={!!problem}
            label={label}
          />
        );
        break;
      case 'textarea':
        control = (
          <textarea
            {...a11y}
            rows={5}
            value={typeof value === 'string' ? value : ''}
            placeholder={hasDefault ? String(schema.default) : s.description ?? ''}
            onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
            data-testid={`${testId}-input`}
          />
        );
        break;
      case 'text':
        control = (
          <input
            {...a11y}
            type="text"
            value={typeof value === 'string' ? value : ''}
            placeholder={hasDefault ? String(schema.default) : ''}
            onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
            data-testid={`${testId}-input`}
          />
        );
        break;
      case 'select': {
        const options = s.enum ?? [s.const];
        const current = value ?? schema.default;
        control = (
          <select
            {...a11y}
            value={current === undefined ? '' : JSON.stringify(current)}
            onChange={(e) => onChange(e.target.value === '' ? undefined : JSON.parse(e.target.value))}
            data-testid={`${testId}-input`}
          >
            {!hasDefault && <option value="">{required ? 'Choose…' : '(not set)'}</option>}
            {options.map((o) => (
              <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
                {optionText(s, o)}
                {sameValue(o, schema.default) ? ' (default)' : ''}
              </option>
            ))}
          </select>
        );
        break;
      }
      case 'switch': {
        const on = (value ?? schema.default ?? false) === true;
        control = (
          <label className="pik-switch">
            <input type="checkbox" {...a11y} checked={on} onChange={(e) => onChange(e.target.checked)} data-testid={`${testId}-input`} />
            <span className="pik-switch-track" />
            <span className="pik-muted">{value === undefined ? (hasDefault ? `default: ${on ? 'on' : 'off'}` : 'not set') : on ? 'on' : 'off'}</span>
          </label>
        );
        break;
      }
      case 'range':
      case 'number':
        control = <NumberControl schema={schema} value={value} onChange={onChange} testId={testId} range={kind === 'range'} ids={ids} />;
        break;
      case 'object': {
        const obj = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
        control = (
          <fieldset className="pik-subfields">
            {schemaFields(s).map((f) => (
              <ParamField
                key={f.key}
                name={f.key}
                schema={f.schema}
                value={obj[f.key]}
                required={f.required}
                testId={`${testId}-${f.key}`}
                onChange={(v) => {
                  const next = { ...obj };
                  if (v === undefined) delete next[f.key];
                  else next[f.key] = v;
                  onChange(Object.keys(next).length ? next : undefined);
                }}
              />
            ))}
          </fieldset>
        );
        break;
      }
      case 'string-list':
        control = (
          <textarea
            {...a11y}
            rows={3}
            value={Array.isArray(value) ? value.join('\n') : ''}
            placeholder="One per line"
            onChange={(e) => {
              const items = e.target.value.split('\n').filter((l) => l.trim() !== '');
              onChange(items.length ? items : undefined);
            }}
            data-testid={`${testId}-input`}
          />
        );
        break;
      case 'object-list': {
        const items = Array.isArray(value) ? (value as unknown[]) : [];
        const itemSchema = s.items as JsonSchema;
        const full = s.maxItems !== undefined && items.length >= s.maxItems;
        control = (
          <div className="pik-object-list">
            {items.map((item, i) => (
              <div className="pik-object-list-item" key={i}>
                <div className="pik-object-list-head">
                  <span className="pik-muted">#{i + 1}</span>
                  <button
                    type="button"
                    className="pik-small"
                    onClick={() => {
                      const next = items.filter((_, j) => j !== i);
                      onChange(next.length ? next : undefined);
                    }}
                  >
                    Remove
                  </button>
                </div>
                <ParamField
                  name={`${name}[${i}]`}
                  schema={itemSchema}
                  value={item}
                  required
                  testId={`${testId}-${i}`}
                  onChange={(v) => onChange(items.map((old, j) => (j === i ? (v ?? {}) : old)))}
                />
              </div>
            ))}
            <button type="button" className="pik-small" disabled={full} onClick={() => onChange([...items, {}])}>
              + Add
            </button>
          </div>
        );
        break;
      }
      default:
        control = <JsonControl value={value} onChange={onChange} testId={testId} a11y={a11y} />;
    }

  return (
    <div className={`pik-field${problem ? ' invalid' : ''}`} data-testid={testId} data-invalid={problem ? 'true' : undefined}>
      <div className="pik-field-head">
        <label className="pik-field-label" id={ids.labelId} htmlFor={ids.id}>
          {label}
          {required && <span className="pik-required">*</span>}
        </label>
        <span className="pik-field-key">{name}</span>
        {hasDefault && (
          <span className="pik-field-default" title="Default">
            default {typeof schema.default === 'object' ? JSON.stringify(schema.default) : kind === 'select' ? optionText(s, schema.default) : String(schema.default)}
          </span>
        )}
        {changed && (
          <button type="button" className="pik-reset" title="Back to the default" onClick={() => onChange(undefined)}>
            ↺
          </button>
        )}
      </div>
      {control}
      {counter(kind, value, s.maxLength, testId)}
      {help && (
        <div className="pik-field-help" id={`${uid}-help`}>
          {help}
        </div>
      )}
      {problem && (
        <div className="pik-field-error" id={`${uid}-error`} data-testid={`${testId}-error`}>
          {problem}
        </div>
      )}
    </div>
  );
}

/** Prompts count their characters, against the documented limit when there is one. */
function counter(kind: string, value: unknown, max: number | undefined, testId: string) {
  if (kind !== 'textarea' && !(kind === 'text' && max !== undefined)) return null;
  const length = typeof value === 'string' ? value.length : 0;
  return (
    <div className={`pik-char-count${max !== undefined && length > max ? ' over' : ''}`} data-testid={`${testId}-count`}>
      {max === undefined ? `${length} character${length === 1 ? '' : 's'}` : `${length} / ${max}`}
    </div>
  );
}

function JsonControl({ value, onChange, testId, a11y }: { value: unknown; onChange(v: unknown): void; testId: string; a11y: Record<string, unknown> }) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 2));
  const [bad, setBad] = useState<string | null>(null);
  return (
    <>
      <textarea
        {...a11y}
        rows={4}
        className="pik-mono"
        value={text}
        placeholder="JSON"
        onChange={(e) => setText(e.target.value)}
        onBlur={() => {
          if (!text.trim()) {
            setBad(null);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(text));
            setBad(null);
          } catch (e) {
            setBad((e as Error).message);
          }
        }}
        data-testid={`${testId}-input`}
      />
      {bad && <div className="pik-field-error">Not valid JSON: {bad}</div>}
    </>
  );
}
