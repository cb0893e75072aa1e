import { useEffect, useId, useState, type ReactNode } from 'react';

interface FieldProps {
  label: ReactNode;
  /** Why the value cannot run (shown beside the input and announced with it). */
  error?: string | null;
  hint?: ReactNode;
  disabled?: boolean;
}

function parse(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}

/**
 * A number input that keeps what the user typed (even "" or "0") and reports it as a number,
 * NaN when it is not one, so validation can say what is wrong instead of the input snapping back.
 */
export function NumberField({ label, value, onChange, error, hint, disabled, step = 'any', min }: FieldProps & {
  value: number;
  onChange(v: number): void;
  step?: number | 'any';
  min?: number;
}) {
  const id = useId();
  const [text, setText] = useState(Number.isNaN(value) ? '' : String(value));
  useEffect(() => {
    setText((t) => (Object.is(parse(t), value) ? t : Number.isNaN(value) ? '' : String(value)));
  }, [value]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        step={step}
        min={min}
        value={text}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          onChange(parse(e.target.value));
        }}
      />
      <FieldNotes id={id} error={error} hint={hint} />
    </div>
  );
}

export function SelectField<T extends string>({ label, value, options, onChange, error, hint, disabled }: FieldProps & {
  value: T;
  options: readonly (T | { value: T; label: string })[];
  onChange(v: T): void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.target.value as T)}
      >
        {options.map((o) => {
          const opt = typeof o === 'string' ? { value: o, label: o } : o;
          return (
            <option key={opt.value} value={opt.value}>
              {opt.label}
            </option>
          );
        })}
      </select>
      <FieldNotes id={id} error={error} hint={hint} />
    </div>
  );
}

/** The message beside a field (referenced by aria-describedby) and its hint. */
function FieldNotes({ id, error, hint }: Pick<FieldProps, 'error' | 'hint'> & { id: string }) {
  return (
    <>
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
      {hint ? <p className="hint">{hint}</p> : null}
    </>
  );
}
