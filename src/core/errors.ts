/**
 * An invalid user-supplied value. `field` names the offending setting (e.g. "model.heads",
 * "stages[2].ffnShare") so UIs can put the message beside the field and the CLI can print it.
 */
export class ConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}

/**
 * A file that is not what its format promises. A ConfigError whose field is the kind of file
 * ("checkpoint", "run", "results"), so every place that turns bad input into one line (the CLI's
 * exit 2, a panel's message) shows it as it is; `file` and `path` say where, for whoever wants them.
 */
export class FormatError extends ConfigError {
  readonly file: string | null;
  /** The field inside the file, e.g. "state.stepsInStage" ("" for the file as a whole). */
  readonly path: string;
  constructor(format: string, where: { file?: string | null; path?: string }, message: string) {
    const file = where.file ?? null;
    const path = where.path ?? '';
    super(format, oneLine(`${file === null ? '' : `${showPath(file)}: `}${path === '' ? '' : `${path}: `}${message}`));
    this.name = 'FormatError';
    this.file = file;
    this.path = path;
  }
}

/** Control characters escaped (a newline as \n): a file name or value must not split a one-line message. */
export function oneLine(text: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Longest file path a message quotes; a longer one keeps its end, where the file's name is. */
export const MAX_PATH_SHOWN = 80;

/** A path the user gave, as a message quotes it: one line, at most MAX_PATH_SHOWN characters. */
export function showPath(path: string): string {
  const text = oneLine(path);
  return text.length <= MAX_PATH_SHOWN ? text : `…${text.slice(text.length - MAX_PATH_SHOWN + 1)}`;
}

/**
 * How a validator meets a failed check. Validators wrap each independent check in `run` and skip
 * the checks that need an earlier one to have passed, so the same rules serve two callers: runs
 * and the CLI stop at the first error (`stopAtFirst`, the default), while a form collects every
 * error to show each beside its field (`collectErrors`).
 */
export interface Checks {
  /** Runs one check; false when it failed and the failure was collected instead of thrown. */
  run(check: () => void): boolean;
}

export const stopAtFirst: Checks = {
  run(check) {
    check();
    return true;
  },
};

/** Every ConfigError a validator finds, in the order its checks ran; anything else still throws. */
export function collectErrors(validate: (checks: Checks) => unknown): ConfigError[] {
  const errors: ConfigError[] = [];
  const checks: Checks = {
    run(check) {
      try {
        check();
        return true;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        errors.push(e);
        return false;
      }
    },
  };
  checks.run(() => validate(checks));
  return errors;
}
