/**
 * The guided `configure` on a terminal: asks for the account (JID), the
 * password (hidden), the server (offering what the SRV record
 * `_xmpp-client._tcp.<domain>` names, RFC 6120 §3.2.1) and the port, with
 * the current values as defaults, then hands the answers to `save`, which
 * logs in first and writes only when that worked. A refused password is
 * asked again (three tries); anything else stops with nothing written.
 */
import { resolveCredentials, type LoadedConfig } from "../config/load.js";
import { isValidJid, jidDomain } from "../config/schema.js";
import { checkServer } from "../config/server-value.js";
import { XmppAuthError } from "../errors.js";
import { defaultPort, resolveEndpoint, type SrvLookup } from "../xmpp/resolve.js";
import type { Target } from "./configure-target.js";
import type { CommandContext, Prompter } from "./context.js";

export interface GuidedAnswers {
  set: Record<string, unknown>;
  password?: string;
}

const TRIES = 3;

export async function askGuided(
  ctx: CommandContext,
  prompt: Prompter,
  where: { current: LoadedConfig; target: Target; lookup?: SrvLookup },
  save: (answers: GuidedAnswers) => Promise<void>,
): Promise<void> {
  const { current, target } = where;
  prompt.say(`Setting up the XMPP account in ${target.file} (Ctrl-C cancels; nothing is saved before the login works).`);
  const jid = await askJid(prompt, current.config.jid);
  const elsewhere = passwordElsewhere(current, target);
  const keeps = elsewhere === undefined && jid === current.config.jid && (await hasPassword(current));
  if (elsewhere) prompt.say(`The password comes from ${elsewhere}; not asking for it.`);
  let password = elsewhere ? undefined : await askPassword(prompt, jid, keeps);
  const set = { jid, ...(await askServer(prompt, current, jid, where.lookup)) };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await save({ set, ...(password ? { password } : {}) });
    } catch (error) {
      const refused = error instanceof Error && error.cause instanceof XmppAuthError;
      if (!refused || elsewhere || attempt >= TRIES) throw error;
      prompt.say(`The server refused this password for ${jid}; nothing was saved. Try again.`);
      password = await askPassword(prompt, jid, false);
    }
  }
}

/** The hidden password question; with `keepable`, an empty answer keeps the current password. */
export async function askPassword(prompt: Prompter, jid: string | undefined, keepable = false): Promise<string | undefined> {
  const question = `Password${jid ? ` for ${jid}` : ""}${keepable ? " (Enter keeps the current one)" : ""}`;
  for (;;) {
    const answer = await prompt.ask(question, { hidden: true });
    if (answer !== "") return answer;
    if (keepable) return undefined;
    prompt.say("A password is needed.");
  }
}

async function askJid(prompt: Prompter, current: string | undefined): Promise<string> {
  for (;;) {
    const answer = await prompt.ask("XMPP account (JID)", current ? { default: current } : {});
    if (isValidJid(answer)) return answer;
    prompt.say(answer === "" ? "An account is needed, e.g. alice@example.org." : `${JSON.stringify(answer)} is not a JID like alice@example.org.`);
  }
}

/** Where a password that wins over one written to the target comes from (environment, another file). */
function passwordElsewhere(current: LoadedConfig, target: Target): string | undefined {
  const from = current.sources.password;
  return from !== undefined && from !== target.file ? from : undefined;
}

async function hasPassword(current: LoadedConfig): Promise<boolean> {
  return resolveCredentials(current.config, current.userDir, undefined, current.sources).then(
    () => true,
    () => false,
  );
}

/**
 * Server and port. What SRV finds is offered and, when accepted, not
 * written (the record keeps working if the service moves); a server typed
 * in, or one already in the file, is written.
 */
async function askServer(prompt: Prompter, current: LoadedConfig, jid: string, lookup?: SrvLookup): Promise<Record<string, unknown>> {
  const { tls } = current.config;
  const domain = jidDomain(jid);
  const found = await resolveEndpoint({ domain, tls }, lookup);
  const service = `${tls === "direct" ? "_xmpps-client" : "_xmpp-client"}._tcp.${domain}`;
  prompt.say(found.host !== domain ? `The SRV record ${service} names ${found.host} port ${found.port}.` : `No SRV record ${service}: the server is ${domain} itself.`);
  const configured = current.config.server;
  const server = await askUntil(prompt, "Server", configured ?? found.host, (answer) => {
    const checked = checkServer(answer);
    return checked.ok ? undefined : `${checked.expected} (${checked.hint})`;
  });
  const pinned = configured !== undefined || server !== found.host;
  const implied = pinned ? defaultPort(tls) : found.port;
  const portText = await askUntil(prompt, "Port", String(current.config.port ?? implied), (answer) =>
    /^\d+$/.test(answer) && Number(answer) >= 1 && Number(answer) <= 65535 ? undefined : "a port number (1-65535)",
  );
  const port = Number(portText);
  return {
    ...(pinned ? { server } : {}),
    ...(port !== implied || current.config.port !== undefined ? { port } : {}),
  };
}

async function askUntil(prompt: Prompter, question: string, fallback: string, problem: (answer: string) => string | undefined): Promise<string> {
  for (;;) {
    const answer = await prompt.ask(question, { default: fallback });
    const wrong = problem(answer);
    if (wrong === undefined) return answer;
    prompt.say(`${question} must be ${wrong}.`);
  }
}
