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
