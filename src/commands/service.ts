/**
 * `service install` / `service uninstall`: keep the agent running. Where
 * systemd runs (it is PID 1) a user unit, with RestartPreventExitStatus=78
 * so that a broken configuration does not restart-loop; elsewhere (or with
 * --cron) a crontab line that runs `ensure` every five minutes. The agent
 * serves the `repositories` setting (`git-annex-xmpp repos add DIR`).
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { userConfigDir } from "../config/places.js";
import { CRON_MARK, editCrontab, renderCronLine, renderUnit, UNIT_NAME } from "../agent/service-files.js";
import { tool } from "../git/run.js";
import { writeFileAtomic } from "../state/atomic-write.js";
import { runningCliCommand } from "./common.js";
import type { CommandContext } from "./context.js";

export interface ServiceArgs {
  action: "install" | "uninstall";
  /** Force one kind; default: systemd where it runs, else cron. */
  kind?: "systemd" | "cron";
}

/** sd_booted(3): systemd is the init system when this directory exists. */
function systemdRuns(): boolean {
  return existsSync("/run/systemd/system");
}

export function unitPath(env: NodeJS.ProcessEnv): string {
  return path.join(path.dirname(userConfigDir(env)), "systemd", "user", UNIT_NAME);
}

export async function run(ctx: CommandContext, args: ServiceArgs): Promise<void> {
  const kind = args.kind ?? (systemdRuns() ? "systemd" : "cron");
  if (args.action === "install") {
    if (kind === "systemd") await installUnit(ctx);
    else await installCron(ctx);
    return;
  }
  await uninstallUnit(ctx);
  await uninstallCron(ctx, args.kind === "cron");
}

async function installUnit(ctx: CommandContext): Promise<void> {
  const file = unitPath(ctx.env);
  await writeFileAtomic(file, renderUnit(runningCliCommand()), { mode: 0o644 });
  ctx.out(`wrote ${file}`);
  if (systemdRuns() && (await systemctl(ctx, ["daemon-reload"])) && (await systemctl(ctx, ["enable", "--now", UNIT_NAME]))) {
    ctx.out(`enabled and started ${UNIT_NAME}`);
  } else {
    ctx.out(`start it with: systemctl --user daemon-reload && systemctl --user enable --now ${UNIT_NAME}`);
  }
  ctx.out(`to keep it running while you are logged out: loginctl enable-linger ${ctx.env.USER ?? "$USER"}`);
}

async function uninstallUnit(ctx: CommandContext): Promise<void> {
  const file = unitPath(ctx.env);
  if (!existsSync(file)) return;
  if (systemdRuns()) await systemctl(ctx, ["disable", "--now", UNIT_NAME]);
  await rm(file, { force: true });
  ctx.out(`removed ${file}`);
}

/** systemctl --user; false (with a warning) when the user's manager cannot be reached. */
async function systemctl(ctx: CommandContext, args: string[]): Promise<boolean> {
  const result = await tool("systemctl", ctx.cwd, ["--user", ...args], { reject: false });
  if (result.exitCode !== 0) ctx.log.warn(`systemctl --user ${args.join(" ")}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  return result.exitCode === 0;
}

async function readCrontab(ctx: CommandContext): Promise<string> {
  const result = await tool("crontab", ctx.cwd, ["-l"], { reject: false });
  // "no crontab for USER" is an empty crontab.
  return result.exitCode === 0 ? `${result.stdout}\n` : "";
}

async function installCron(ctx: CommandContext): Promise<void> {
  const line = renderCronLine(runningCliCommand());
  await tool("crontab", ctx.cwd, ["-"], { input: editCrontab(await readCrontab(ctx), line) });
  ctx.out(`added to your crontab: ${line}`);
}

async function uninstallCron(ctx: CommandContext, asked: boolean): Promise<void> {
  const current = await readCrontab(ctx).catch((error: unknown) => {
    if (asked) throw error;
    return "";
  });
  if (!current.includes(CRON_MARK)) return;
  await tool("crontab", ctx.cwd, ["-"], { input: editCrontab(current, undefined) });
  ctx.out("removed the crontab line");
}
