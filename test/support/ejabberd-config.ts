import { readFile } from "node:fs/promises";

export interface EjabberdConfigParams {
  domain: string;
  c2sPort: number;
  /** Port for XEP-0368 direct TLS, or undefined for STARTTLS only. */
  directTlsPort: number | undefined;
  certFile: string;
  keyFile: string;
  /** The private CA that signed certFile: ejabberd checks its own chain against it. */
  caFile: string;
  /** XEP-0198 resume timeout (ejabberd's default is 300 s; prosody's 600 s, which the tests expect). */
  resumeTimeoutSeconds: number;
  /** Sessions per account, as Debian's default config sets (10): the 11th login replaces the oldest. Unlimited when undefined. */
  maxUserSessions?: number;
}

/** YAML double-quoted scalars are JSON strings. */
const yaml = (value: string) => JSON.stringify(value);

/**
 * Renders an ejabberd 23.01 config written for one test server instead of
 * Debian's /etc/ejabberd/ejabberd.yml, whose c2s shaper (1,000 B/s for
 * normal users) and extra listeners (5222, 5269, 5280, 5443, 1883, 3478 on
 * every interface) would distort the tests and clash with the machine's own
 * services (DESIGN.md §5). Listens on 127.0.0.1 only, has no shaper, no
 * s2s listener, no ACME, and loads only what the tests exercise:
 * rosters (RFC 6121), XEP-0198 stream management, XEP-0199 ping, disco.
 * Presence and message routing are ejabberd's core. mod_admin_extra brings
 * the register/add_rosteritem commands the helper runs through ejabberd_ctl.
 * Passwords are stored as SCRAM (4,096 iterations), as real servers do.
 */
export function renderEjabberdConfig(p: EjabberdConfigParams): string {
  const listener = (port: number, tls: "starttls" | "direct") => [
    "  -",
    `    port: ${port}`,
    `    ip: "127.0.0.1"`,
    "    module: ejabberd_c2s",
    ...(tls === "starttls" ? ["    starttls: true", "    starttls_required: true"] : ["    tls: true"]),
    "    shaper: none",
    "    access: c2s",
  ];
  return [
    "# Written by test/support/ejabberd.ts for one test server; delete freely.",
    `hosts: [${yaml(p.domain)}]`,
    // info: the helper waits for "Start accepting TCP connections at ...".
    "loglevel: info",
    "log_rotate_count: 0",
    "hide_sensitive_log_data: true",
    `certfiles: [${yaml(p.certFile)}, ${yaml(p.keyFile)}]`,
    // Instead of the system bundle, which would log "signed by unknown CA".
    `ca_file: ${yaml(p.caFile)}`,
    "acme:",
    "  auto: false",
    "listen:",
    ...listener(p.c2sPort, "starttls"),
    ...(p.directTlsPort === undefined ? [] : listener(p.directTlsPort, "direct")),
    "auth_method: internal",
    "auth_password_format: scram",
    "default_db: mnesia",
    "shaper: {}",
    ...(p.maxUserSessions === undefined ? ["shaper_rules: {}"] : ["shaper_rules:", `  max_user_sessions: ${p.maxUserSessions}`]),
    "acl:",
    "  local:",
    `    user_regexp: ""`,
    "access_rules:",
    "  c2s:",
    "    allow: all",
    "  local:",
    "    allow: local",
    // ejabberd_ctl commands (register, add_rosteritem) are checked against these.
    "api_permissions:",
    `  "console commands":`,
    "    from: [ejabberd_ctl]",
    "    who: all",
    `    what: "*"`,
    "modules:",
    "  mod_roster: {}",
    "  mod_stream_mgmt:",
    `    resume_timeout: ${p.resumeTimeoutSeconds}`,
    "  mod_ping: {}",
    "  mod_disco: {}",
    "  mod_admin_extra: {}",
    "",
  ].join("\n");
}

export interface ErlangRuntime {
  /** The `erl` launcher. */
  erl: string;
  /** Where ejabberd's Erlang applications live (ERL_LIBS). */
  erlLibs: string;
}

const EJABBERDCTL = "/usr/sbin/ejabberdctl";

/**
 * Reads ERL and ERL_LIBS from the installed ejabberdctl, the one place that
 * knows where Debian put ejabberd's applications (an arch-specific path).
 * We run `erl` ourselves rather than ejabberdctl: ejabberdctl, as root,
 * switches to the `ejabberd` user with su and keeps a bash between us and
 * the VM, and its defaults point at /etc/ejabberd and /var/lib/ejabberd.
 */
export async function findErlangRuntime(ctl = EJABBERDCTL): Promise<ErlangRuntime> {
  const script = await readFile(ctl, "utf8").catch(() => {
    throw new Error(`${ctl} not found: ejabberd is not installed (bash scripts/setup.sh --test installs it)`);
  });
  const setting = (name: string) => new RegExp(`^\\s*${name}=["']?([^"'\\s]+)["']?\\s*$`, "m").exec(script)?.[1];
  const erl = setting("ERL");
  const erlLibs = setting("ERL_LIBS");
  if (erl === undefined || erlLibs === undefined) throw new Error(`cannot find ERL and ERL_LIBS in ${ctl}`);
  return { erl, erlLibs };
}

export interface ErlangNode {
  /** Long name on the loopback address, e.g. gax-ejabberd-1a2b@127.0.0.1. */
  name: string;
  /** The fixed distribution port that replaces epmd. */
  distPort: number;
}

/**
 * Erlang distribution without epmd (OTP 23.1+): `-erl_epmd_port` makes the
 * node listen on that fixed port and assume it for every peer, and
 * `-start_epmd false` keeps it from starting (or registering with) the
 * machine's global epmd; `inet_dist_use_interface` binds it to 127.0.0.1.
 * The cookie comes from $HOME/.erlang.cookie, with HOME set to the temp dir.
 */
export function distributionArgs(node: ErlangNode): string[] {
  return [
    "-name", node.name,
    "-start_epmd", "false",
    "-erl_epmd_port", String(node.distPort),
    "-kernel", "inet_dist_use_interface", "{127,0,0,1}",
  ];
}

/** The arguments ejabberdctl's `foreground` would give erl, with our own node, spool and no epmd. */
export function serverArgs(node: ErlangNode, spoolDir: string): string[] {
  return [
    ...distributionArgs(node),
    "-noinput", "-noshell",
    "+K", "true", "+P", "250000",
    "-mnesia", "dir", JSON.stringify(spoolDir),
    "-s", "ejabberd",
  ];
}

/**
 * A hidden node that runs `ejabberd_ctl:process/1` on the server for each
 * command read from `commandsFile` (Erlang terms, one list of strings per
 * line), exactly as `ejabberdctl COMMAND ARGS` does, but in one VM for all
 * of them. It exits 1 when any command fails. `-dist_listen false`: it
 * connects out and listens on nothing.
 */
export function ctlArgs(server: ErlangNode, clientName: string, commandsFile: string): string[] {
  const program = [
    `{ok, Commands} = file:consult(${JSON.stringify(commandsFile)}),`,
    `Results = [{C, rpc:call('${server.name}', ejabberd_ctl, process, [C], 30000)} || C <- Commands],`,
    "Failed = [R || R = {_, Code} <- Results, Code =/= 0],",
    `[io:format(standard_error, "ejabberd_ctl ~p: ~p~n", [C, Code]) || {C, Code} <- Failed],`,
    "halt(case Failed of [] -> 0; _ -> 1 end).",
  ].join(" ");
  return [
    ...distributionArgs({ ...server, name: clientName }),
    "-hidden", "-noinput", "-noshell", "-dist_listen", "false",
    "-eval", program,
  ];
}

/** An Erlang string literal (file:consult reads these). */
export function erlangString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
