/**
 * Which git-annex commands reproduce what `git annex sync --content` does
 * for a file (Command/Sync.hs syncFile, 10.20230126), in the order it does
 * it: export the tracking branch to each export remote (seekExportContent
 * runs first: content that arrives in the same sync is exported by the next
 * one), get what this repository wants, send each key-value remote what it
 * wants, then drop — from the remotes first, then here (Annex/Drop.hs
 * handleDropsFrom). Pure.
 */
import type { AnnexRemote } from "../git/remotes.js";
import type { BranchPolicy } from "./wanted.js";
import type { TransferStep } from "./progress.js";

export interface Step {
  step: TransferStep;
  remote?: string;
  args: string[];
}

const JOURNAL_ONLY = ["-c", "annex.alwayscommit=false"];

/**
 * Content moves only with remotes that `git annex sync --content` would use:
 * with an annex UUID, annex-sync not false, annex-ignore not true. A remote
 * with annex-sync=false, and an export remote (sync gets only from
 * key-value remotes), is hidden from `get` through `-c …annex-ignore=true`.
 *
 * `--auto` is what sync --content does only for a repository with a
 * preferred content expression (`withWanted`: their UUIDs, `here` ours).
 * Without one, sync --content treats the repository as wanting everything
 * (Annex/Wanted.hs with its default True): it gets or sends every file and
 * never drops — while `get --auto` would only get, and `drop --auto` would
 * drop, by numcopies. So: plain get / copy there, no drop, and drops from a
 * remote only where it has an expression.
 *
 * `get --auto` and `copy --auto` also act on a file with fewer copies than
 * numcopies (Command/Get.hs, Command/Copy.hs: `wantGet <||> numCopiesCheck`);
 * sync --content goes by preferred content alone. `--numcopies=1` overrides
 * numcopies for those two processes, so the numcopies half holds only for a
 * file with no copy at all, which no get can fetch and no copy can send.
 * Drops keep the real numcopies: there it is the safety check sync makes too.
 */
export function transferSteps(remotes: readonly AnnexRemote[], policy: BranchPolicy, here?: string): Step[] {
  const { withWanted, exports } = policy;
  const isExport = (r: AnnexRemote) => r.uuid !== undefined && exports.has(r.uuid);
  const hidden = remotes.filter((r) => r.uuid !== undefined && (!r.sync || isExport(r))).flatMap((r) => ["-c", `remote.${r.name}.annex-ignore=true`]);
  const targets = remotes.filter((r) => r.uuid !== undefined && r.sync && !r.ignore);
  const keyValue = targets.filter((r) => !isExport(r));
  const auto = (uuid: string | undefined) => (uuid !== undefined && withWanted.has(uuid) ? ["--auto", "--numcopies=1"] : []);
  const hereWants = here !== undefined && withWanted.has(here);
  return [
    ...exportSteps(targets.filter(isExport)),
    { step: "get", args: ["get", ...JOURNAL_ONLY, ...hidden, ...auto(here)] },
    ...keyValue.filter((r) => !r.readonly).map((r): Step => ({ step: "copy", remote: r.name, args: ["copy", ...JOURNAL_ONLY, ...auto(r.uuid), "--to", r.name] })),
    ...keyValue
      .filter((r) => withWanted.has(r.uuid!))
      .map((r): Step => ({ step: "drop", remote: r.name, args: ["drop", ...JOURNAL_ONLY, "--auto", "--from", r.name] })),
    ...(hereWants ? [{ step: "drop" as const, args: ["drop", ...JOURNAL_ONLY, "--auto"] }] : []),
  ];
}

/**
 * sync --content exports an export remote's `annex-tracking-branch` (its
 * tree, filtered by the remote's preferred content) unless pushing to it is
 * off (annex-push false, annex-readonly). An export remote without a
 * tracking branch is left alone here (sync would only refill its current
 * export); `copy --to` it is refused by git-annex ("use git-annex export").
 */
function exportSteps(remotes: readonly AnnexRemote[]): Step[] {
  return remotes
    .filter((r) => r.trackingBranch !== undefined && r.push !== false && !r.readonly)
    .map((r) => ({ step: "export", remote: r.name, args: ["export", ...JOURNAL_ONLY, r.trackingBranch!, "--to", r.name] }));
}
