/**
 * Write-then-rename: a concurrent reader sees the old file or the new one,
 * never half of one, and a crash leaves at most a stray temp file. The
 * temp file is created with `mode` (and chmod-ed: the umask may have
 * narrowed it, never widened).
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, realpath, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export async function writeFileAtomic(path: string, text: string, options: { mode?: number; dirMode?: number } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true, ...(options.dirMode === undefined ? {} : { mode: options.dirMode }) });
  // A symlinked file (dotfiles kept elsewhere) stays a symlink: write where it points.
  const real = await realpath(path).catch(() => path);
  const temp = `${real}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const file = await open(temp, "wx", options.mode ?? 0o644);
    try {
      await file.writeFile(text);
      if (options.mode !== undefined) await file.chmod(options.mode);
      // On disk before the rename: a crash must not leave an empty file in its place.
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, real);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
