/**
 * `doctor`: check everything a working setup needs, in the order a user
 * would fix it, and say what to do about each problem. Never prints a
 * secret. `--json` for scripts; exit 1 when a check failed.
 */
import { ignoredFileWarnings, loadConfig, resolveCredentials, userStateDir, type Credentials } from "../config/load.js";
import { jidDomain, type Config, type ConfigSources } from "../config/schema.js";
import { AppError, isAppError } from "../errors.js";
import { installedHooks } from "../git/hooks.js";
import { gitAnnexVersion, listAnnexRemotes, remotesForUuids, resolveRepo, type RepoInfo } from "../git/repo.js";
import { createSession } from "../services/connect.js";
import { resolveEndpoint } from "../xmpp/resolve.js";
import path from "node:path";
import type { CommandContext } from "./context.js";

export interface DoctorArgs {
  repo?: string;
  json?: boolean;
  /** Skip the login test. */
  offline?: boolean;
}

type Status = "ok" | "warn" | "fail";
interface Check {
  name: string;
  status: Status;
  detail: string;
  hint?: string;
}

async function check(name: string, fn: () => Promise<Omit<Check, "name">>): Promise<Check> {
  try {
    return { name, ...(await fn()) };
  } catch (error) {
    const hint = isAppError(error) ? error.hint : undefined;
    return { name, status: "fail", detail: (error as Error).message, ...(hint ? { hint } : {}) };
  }
}

export async function run(ctx: CommandContext, args: DoctorArgs): Promise<void> {
  const checks: Check[] = [];
  let repo: RepoInfo | undefined;
  const dir = path.resolve(ctx.cwd, args.repo ?? ".");
  checks.push(await check("git-annex", async () => ({ status: "ok", detail: `version ${await gitAnnexVersion(dir)}` })));
  checks.push(
    await check("repository", async () => {
      repo = await resolveRepo(dir);
      if (!repo.annexUuid) return { status: "fail", detail: `${repo.dir} has no annex.uuid`, hint: "run `git annex init`" };
      return { status: "ok", detail: `${repo.dir} (${repo.bare ? "bare" : "with work tree"}), uuid ${repo.annexUuid}` };
    }),
  );
  const loaded = await loadConfig({
    env: ctx.env,
    ...(repo ? { repoDir: repo.dir, repoHasWorkTree: !repo.bare, gitDir: repo.gitDir } : {}),
    ...(ctx.configPath ? { explicitFile: path.resolve(ctx.cwd, ctx.configPath) } : {}),
  }).catch((error: Error) => error);
  if (loaded instanceof Error) {
    checks.push(await check("configuration", async () => Promise.reject(loaded)));
    return report(ctx, checks, args.json);
  }
  const { config } = loaded;
  const files = loaded.files.length > 0 ? loaded.files.join(", ") : `none (looked in ${loaded.userDir} and the repository)`;
  const ignored = ignoredFileWarnings(loaded, repo?.gitDir);
  const detail = `files: ${files}; ${describeSources(loaded.sources)}`;
  checks.push(
    ignored.length > 0
      ? { name: "configuration", status: "warn", detail: `${detail}; ${ignored.join("; ")}` }
      : { name: "configuration", status: "ok", detail },
  );
  let credentials: Credentials | undefined;
  checks.push(
    await check("account", async () => {
      credentials = await resolveCredentials(config, loaded.userDir, userStateDir(ctx.env), loaded.sources);
      const endpoint = await resolveEndpoint({ domain: jidDomain(credentials.jid), server: config.server, port: config.port, tls: config.tls });
      const ca = config.ca ? `, CA ${config.ca}` : "";
      const jidFrom = loaded.sources.jid ?? "default";
      const where = serverOrigin(config, loaded.sources, jidDomain(credentials.jid), endpoint.host);
      return {
        status: "ok",
        detail: `${credentials.jid} (from ${jidFrom}), password from ${credentials.source}, server ${endpoint.host}:${endpoint.port} (${endpoint.tls}${ca}; ${where})`,
      };
    }),
  );
  const account = credentials;
  if (!args.offline && account && checks.every((c) => c.status !== "fail")) {
    checks.push(
      await check("login", async () => {
        const started = Date.now();
        const session = await createSession(config, account, ctx.log, "doctor");
        const jid = await session.start();
        await session.ping(config.timeoutMs);
        await session.stop();
        return { status: "ok", detail: `logged in as ${jid} and pinged the server in ${Date.now() - started} ms` };
      }),
    );
  }
  if (repo?.annexUuid) checks.push(...(await repoChecks(repo)));
  return report(ctx, checks, args.json, loaded.sources);
}

/** "jid, server from FILE; password from environment variable …; the rest default": every value's origin, grouped. */
export function describeSources(sources: ConfigSources): string {
  const byOrigin = new Map<string, string[]>();
  for (const [key, origin] of Object.entries(sources)) byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), key]);
  const parts = [...byOrigin].map(([origin, keys]) => `${keys.join(", ")} from ${origin}`);
  return parts.length > 0 ? `${parts.join("; ")}; the rest default` : "every value default";
}

/** Why this server: a configured one names its origin; else the SRV record or the JID's domain. */
function serverOrigin(config: Config, sources: ConfigSources, domain: string, host: string): string {
  if (config.server) return `server from ${sources.server ?? "default"}`;
  const service = config.tls === "direct" ? "_xmpps-client._tcp" : "_xmpp-client._tcp";
  return host === domain ? `no SRV record ${service}.${domain}: the JID's domain` : `from the SRV record ${service}.${domain}`;
}

async function repoChecks(repo: RepoInfo): Promise<Check[]> {
  const hooks = await check("hooks", async () => {
    const found = await installedHooks(repo);
    if (found.length > 0) return { status: "ok", detail: `notify runs from ${found.join(", ")}` };
    return repo.bare
      ? { status: "warn", detail: "no hook announces pushes to this repository", hint: "run `git-annex-xmpp install-hooks` on the hub" }
      : { status: "ok", detail: "none (only a repository that others push to needs them)" };
  });
  const remotes = await check("remotes", async () => {
    const all = await listAnnexRemotes(repo.dir);
    const synced = remotesForUuids(all, all.flatMap((r) => (r.uuid ? [r.uuid] : []))).map((r) => r.name);
    const skipped = all.filter((r) => r.url && !synced.includes(r.name)).map((r) => `${r.name} (${r.uuid ? "annex-sync/annex-ignore/annex-pull" : "no annex-uuid yet"})`);
    const detail = `listen syncs with: ${synced.join(", ") || "none"}${skipped.length ? `; not: ${skipped.join(", ")}` : ""}`;
    return synced.length > 0 || repo.bare
      ? { status: "ok", detail }
      : { status: "warn", detail, hint: "`git annex sync` once with the hub so git-annex records its annex-uuid" };
  });
  return [hooks, remotes];
}

function report(ctx: CommandContext, checks: Check[], json: boolean | undefined, sources?: ConfigSources): void {
  if (json) ctx.out(JSON.stringify({ ok: checks.every((c) => c.status !== "fail"), checks, ...(sources ? { sources } : {}) }, null, 2));
  else {
    for (const c of checks) {
      ctx.out(`${c.status.padEnd(4)} ${c.name}: ${c.detail}`);
      if (c.hint && c.status !== "ok") ctx.out(`     hint: ${c.hint}`);
    }
  }
  const failed = checks.filter((c) => c.status === "fail");
  if (failed.length > 0) throw new AppError("EDOCTOR", `${failed.length} check${failed.length > 1 ? "s" : ""} failed: ${failed.map((c) => c.name).join(", ")}`);
}
