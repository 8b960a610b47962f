/** Typed failures of the sync layer (see src/errors.ts for the scheme). */
import { AppError } from "../errors.js";

/** The remembered sync state cannot be read. */
export class SyncStateError extends AppError {
  constructor(file: string, detail: string) {
    super("ESYNCSTATE", `cannot read the sync state ${file}: ${detail}`, {
      hint: "delete the file; the next sync then runs a full transfer scan",
    });
  }
}
