/**
 * Parsing what git hands its hooks (githooks(5)): post-receive gets
 * "<old-sha> <new-sha> <refname>" lines on stdin, post-update gets the
 * updated ref names as arguments.
 */
export interface RefUpdate {
  ref: string;
  old?: string;
  new?: string;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function parsePostReceive(stdin: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const [index, raw] of stdin.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const [oldSha, newSha, ref, ...rest] = line.split(/\s+/);
    if (!oldSha || !newSha || !ref || rest.length > 0 || !SHA.test(oldSha) || !SHA.test(newSha)) {
      throw new Error(`line ${index + 1} of the post-receive input is not "<old> <new> <ref>": ${JSON.stringify(line.slice(0, 120))}`);
    }
    updates.push({ ref, old: oldSha, new: newSha });
  }
  return updates;
}

export function parsePostUpdate(args: readonly string[]): RefUpdate[] {
  return args.filter((a) => a !== "").map((ref) => ({ ref }));
}
