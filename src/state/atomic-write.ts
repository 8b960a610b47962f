/**
 * Write-then-rename: a concurrent reader sees the old file or the new one,
 * never half of one, and a crash leaves at most a stray temp file. The
 * temp file is created with `mode` (and chmod-ed: the umask may have
 * narrowed it, never widened).
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export async function writeFileAtomic(path: string, text: string, options: { mode?: number; dirMode?: number } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true, ...(options.dirMode === undefined ? {} : { mode: options.dirMode }) });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, text, { mode: options.mode ?? 0o644, flag: "wx" });
    if (options.mode !== undefined) await chmod(temp, options.mode);
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
