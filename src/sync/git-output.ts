/**
 * Parsers for the machine-readable output of the git plumbing the targeted
 * scan runs (`diff-tree -z`, `ls-tree -z`, `cat-file --batch`). Pure.
 */

export interface TreeChange {
  /** A, M, D, T, … (renames are off: --no-renames). */
  status: string;
  oldMode: string;
  newMode: string;
  oldId: string;
  newId: string;
  path: string;
}

/**
 * `git diff-tree -r -z --raw --no-renames OLD NEW`: each record is
 * `:oldmode newmode oldsha newsha status` NUL `path` NUL.
 */
export function parseRawDiff(text: string): TreeChange[] {
  const fields = text.split("\0");
  const changes: TreeChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const header = fields[i]!.replace(/^\n/, "");
    const path = fields[i + 1]!;
    const match = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])\d*$/.exec(header);
    if (!match) throw new Error(`unexpected git diff-tree record ${JSON.stringify(header.slice(0, 80))}`);
    const [, oldMode, newMode, oldId, newId, status] = match;
    changes.push({ status: status!, oldMode: oldMode!, newMode: newMode!, oldId: oldId!, newId: newId!, path });
  }
  return changes;
}

export interface TreeEntry {
  mode: string;
  type: string;
  id: string;
  path: string;
}

/** `git ls-tree -r -z TREE`: `mode type id` TAB `path` NUL. */
export function parseLsTree(text: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of text.split("\0")) {
    if (record === "") continue;
    const tab = record.indexOf("\t");
    const [mode = "", type = "", id = ""] = record.slice(0, tab).split(" ");
    entries.push({ mode, type, id, path: record.slice(tab + 1) });
  }
  return entries;
}

export interface BatchObject {
  id: string;
  /** undefined for a missing object. */
  content: string | undefined;
}

/**
 * `git cat-file --batch` output for the object ids `ids`, asked one a line:
 * `id type size` LF content LF, or `id missing` LF. The adapter hands us
 * text, not bytes, so a binary blob's length in characters may differ from
 * its size; each record is therefore delimited by the next record's header,
 * which we know because cat-file answers in order. Content that matters
 * here (symlink targets, pointer files) is ASCII and comes out exact.
 */
export function parseCatFileBatch(text: string, ids: readonly string[]): BatchObject[] {
  const objects: BatchObject[] = [];
  let at = 0;
  ids.forEach((id, index) => {
    const eol = text.indexOf("\n", at);
    const header = text.slice(at, eol === -1 ? undefined : eol);
    if (!header.startsWith(`${id} `)) throw new Error(`unexpected git cat-file record ${JSON.stringify(header.slice(0, 80))}`);
    const next = ids[index + 1];
    const end = next === undefined ? text.length : text.indexOf(`\n${next} `, eol);
    if (/ missing$/.test(header) || eol === -1) {
      objects.push({ id, content: undefined });
      at = eol === -1 ? text.length : eol + 1;
      return;
    }
    const body = text.slice(eol + 1, end === -1 ? text.length : end);
    objects.push({ id, content: next === undefined ? body.replace(/\n$/, "") : body });
    at = end === -1 ? text.length : end + 1;
  });
  return objects;
}
