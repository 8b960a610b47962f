/**
 * Editing our marked block inside a hook file, as pure text functions.
 *
 * git-annex owns some hook files (`git annex init` writes pre-commit,
 * post-receive, post-checkout, post-merge) and only recognises, upgrades
 * and removes (`git annex uninit`) them while their content is exactly what
 * it wrote. So we never rewrite such a file: we add one marked block and can
 * take it out again leaving every other byte as it was:
 *
 *   removeHookBlock(insertHookBlock(x, body)) === x   for every x
 *   insertHookBlock(insertHookBlock(x, a), b) === insertHookBlock(x, b)
 *
 * The block goes right after the `#!` line, before the file's own commands:
 * nothing before it can `exit` or `exec` past it, and nothing before it has
 * read the hook's stdin yet, which the block hands on to the lines after it.
 *
 * The start marker records what the insertion did beyond adding the block,
 * so that removal can undo exactly that:
 *   created-file    the file did not exist: removal deletes it again
 *                   (unless someone has added lines of their own since);
 *   added-newline   the file was one `#!` line without a final newline.
 */
import { AppError } from "../errors.js";

export const BLOCK_START = "# >>> git-annex-xmpp >>>";
export const BLOCK_END = "# <<< git-annex-xmpp <<<";
/** The whole content of a hook file we create, besides the block. */
export const NEW_FILE_HEADER = "#!/bin/sh\n";

type BlockFlag = "created-file" | "added-newline";
const FLAGS: readonly BlockFlag[] = ["created-file", "added-newline"];

export interface HookBlockLocation {
  /** Offset of the start marker line. */
  start: number;
  /** Offset just past the end marker line and its line terminator. */
  end: number;
  flags: BlockFlag[];
}

interface Line {
  start: number;
  /** Past the line terminator. */
  end: number;
  /** Without "\n" or "\r\n". */
  text: string;
}

function* lines(text: string): Generator<Line> {
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf("\n", start);
    const end = newline === -1 ? text.length : newline + 1;
    const body = text.slice(start, newline === -1 ? end : newline);
    yield { start, end, text: body.endsWith("\r") ? body.slice(0, -1) : body };
    start = end;
  }
}

/** Where our (first) block is, or undefined. A start marker without an end marker is an error. */
export function findHookBlock(text: string): HookBlockLocation | undefined {
  let open: { start: number; flags: BlockFlag[] } | undefined;
  for (const line of lines(text)) {
    if (open === undefined && line.text.startsWith(BLOCK_START)) {
      const words = line.text.slice(BLOCK_START.length).trim().split(/\s+/);
      open = { start: line.start, flags: FLAGS.filter((flag) => words.includes(flag)) };
    } else if (open !== undefined && line.text === BLOCK_END) {
      return { start: open.start, end: line.end, flags: open.flags };
    }
  }
  if (open !== undefined) {
    throw new AppError("EHOOKBLOCK", `the hook file has a "${BLOCK_START}" line without a matching "${BLOCK_END}" line`, {
      hint: "repair or delete the git-annex-xmpp block in that hook file by hand, then run the command again",
    });
  }
  return undefined;
}

function renderBlock(body: string, flags: readonly BlockFlag[]): string {
  const text = body === "" || body.endsWith("\n") ? body : `${body}\n`;
  const start = [BLOCK_START, ...flags].join(" ");
  return `${start}\n${text}${BLOCK_END}\n`;
}

/**
 * The hook file's new content with our block holding `body`. `existing` is
 * the current content, undefined when there is no such file. An existing
 * block is replaced in place (keeping its flags), extra blocks are dropped.
 */
export function insertHookBlock(existing: string | undefined, body: string): string {
  if (existing === undefined) return NEW_FILE_HEADER + renderBlock(body, ["created-file"]);

  const found = findHookBlock(existing);
  if (found !== undefined) {
    const rest = removeAllBlocks(existing.slice(found.end));
    return existing.slice(0, found.start) + renderBlock(body, found.flags) + rest;
  }
  if (!existing.startsWith("#!")) return renderBlock(body, []) + existing;
  const newline = existing.indexOf("\n");
  if (newline === -1) return `${existing}\n${renderBlock(body, ["added-newline"])}`;
  return existing.slice(0, newline + 1) + renderBlock(body, []) + existing.slice(newline + 1);
}

function removeAllBlocks(text: string): string {
  let out = text;
  for (let found = findHookBlock(out); found !== undefined; found = findHookBlock(out)) {
    out = out.slice(0, found.start) + out.slice(found.end);
  }
  return out;
}

/**
 * The hook file's content without our block; the text unchanged when it
 * has none; undefined when we created the file and nothing else has been
 * added to it since (the caller deletes the file).
 */
export function removeHookBlock(text: string): string | undefined {
  const found = findHookBlock(text);
  if (found === undefined) return text;
  let before = text.slice(0, found.start);
  if (found.flags.includes("added-newline") && before.endsWith("\n")) before = before.slice(0, -1);
  const result = before + removeAllBlocks(text.slice(found.end));
  if (found.flags.includes("created-file") && result === NEW_FILE_HEADER) return undefined;
  return result;
}
