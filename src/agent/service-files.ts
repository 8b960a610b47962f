/**
 * What `service install` writes, pure: a systemd user unit for the agent,
 * or the crontab line that keeps it alive through `ensure`. Both run the
 * agent without --repo, so it serves the `repositories` setting.
 */
import { shellQuote } from "../git/hook-script.js";

export const UNIT_NAME = "git-annex-xmpp.service";
export const CRON_MARK = "# git-annex-xmpp agent (git-annex-xmpp service uninstall removes this line)";

/** systemd.exec(5) quoting: each word in double quotes, `\\`, `"`, `$` and `%` escaped. */
function unitWord(word: string): string {
  return `"${word.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$/g, "$$$$").replace(/%/g, "%%")}"`;
}

export function renderUnit(command: readonly string[]): string {
  return [
    "[Unit]",
    "Description=git-annex-xmpp agent: announces and receives git-annex pushes over XMPP",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    `ExecStart=${[...command, "listen"].map(unitWord).join(" ")}`,
    "Restart=on-failure",
    "RestartSec=10",
    // 78 (EX_CONFIG): a wrong password or a broken setting; restarting cannot fix it.
    "RestartPreventExitStatus=78",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

export function renderCronLine(command: readonly string[]): string {
  return `*/5 * * * * ${[...command, "ensure", "--quiet"].map(shellQuote).join(" ")} ${CRON_MARK}`;
}

/** A crontab with our line replaced (or added, or removed when `line` is undefined); other lines untouched. */
export function editCrontab(current: string, line: string | undefined): string {
  const kept = current.split("\n").filter((l) => l !== "" && !l.endsWith(CRON_MARK));
  if (line !== undefined) kept.push(line);
  return kept.length === 0 ? "" : `${kept.join("\n")}\n`;
}
