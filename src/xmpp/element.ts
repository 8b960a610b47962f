/**
 * The minimal element shape the codec works on. It is structurally what
 * @xmpp/xml (ltx) elements look like, so the session wrapper can hand
 * received stanzas straight to the codec, and tests can build them by hand,
 * without the codec depending on any XMPP library.
 *
 * Received elements are attacker-shaped (a stranger can send a presence
 * nested thousands deep): nothing here recurses, so no input can exhaust
 * the stack.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string | undefined>;
  children: Array<XmlElement | string>;
}

export function el(name: string, attrs: Record<string, string> = {}, ...children: Array<XmlElement | string>): XmlElement {
  return { name, attrs, children };
}

/**
 * Whether `value` has the shape of an element. What the parser emits always
 * does; the decoders check anyway, so that a stanza built some other way
 * (or a parser change) makes them say "not ours", never throw.
 */
export function isElement(value: unknown): value is XmlElement {
  if (typeof value !== "object" || value === null) return false;
  const { name, attrs, children } = value as Partial<XmlElement>;
  return typeof name === "string" && typeof attrs === "object" && attrs !== null && Array.isArray(children);
}

/** The element children of `element`, skipping text and anything not element-shaped. */
export function childElements(element: XmlElement): XmlElement[] {
  return Array.isArray(element.children) ? element.children.filter(isElement) : [];
}

/** An attribute's value when it is text; undefined when absent or of another type. */
export function textAttr(element: XmlElement, name: string): string | undefined {
  const value: unknown = element.attrs[name];
  return typeof value === "string" ? value : undefined;
}

/** The namespace in scope for `element`: its own xmlns, else `inherited`. */
export function namespaceOf(element: XmlElement, inherited: string): string {
  const own: unknown = element.attrs.xmlns;
  return typeof own === "string" ? own : inherited;
}

export function findChild(element: XmlElement, name: string, ns: string, parentNs = "jabber:client"): XmlElement | undefined {
  const scope = namespaceOf(element, parentNs);
  return childElements(element).find((c) => c.name === name && namespaceOf(c, scope) === ns);
}

/** "stop" ends the walk (a length budget spent); "skip" leaves an element's children (and its close) out. */
type Step = "stop" | "skip" | void;

/** A depth-first walk without recursion: `open`/`close` per element, `text` per text node. */
interface Visitor {
  open(element: XmlElement, depth: number): Step;
  close(element: XmlElement): void;
  text(text: string): Step;
}

function walk(root: XmlElement, visitor: Visitor): void {
  if (visitor.open(root, 0) !== undefined) return;
  const stack: Array<{ element: XmlElement; next: number }> = [{ element: root, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const child = top.element.children[top.next++];
    if (child === undefined) {
      stack.pop();
      visitor.close(top.element);
    } else if (typeof child === "string") {
      if (visitor.text(child) === "stop") return;
    } else {
      const step = visitor.open(child, stack.length);
      if (step === "stop") return;
      if (step !== "skip") stack.push({ element: child, next: 0 });
    }
  }
}

export function textOf(element: XmlElement): string {
  const parts: string[] = [];
  walk(element, { open: () => undefined, close: () => undefined, text: (t) => void parts.push(t) });
  return parts.join("");
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

function attrText(element: XmlElement, escape: (value: string) => string): string {
  return Object.entries(element.attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${escape(k)}="${escape(String(v))}"`)
    .join("");
}

/** Serialise for the wire in tests (the session uses @xmpp/xml's own writer). */
export function toXml(element: XmlElement): string {
  const escape = (value: string) => value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
  const out: string[] = [];
  walk(element, {
    open: (e) => void out.push(e.children.length === 0 ? `<${e.name}${attrText(e, escape)}/>` : `<${e.name}${attrText(e, escape)}>`),
    close: (e) => void (e.children.length > 0 && out.push(`</${e.name}>`)),
    text: (t) => void out.push(t.replace(/[&<>]/g, (x) => ESCAPES[x]!)),
  });
  return out.join("");
}

export interface DumpLimits {
  /** Elements deeper than this are shown as `…`. */
  maxDepth: number;
  /** Characters of output, after which the dump ends with `…[truncated]`. */
  maxLength: number;
}

export const DUMP_LIMITS: DumpLimits = { maxDepth: 16, maxLength: 2000 };

/**
 * XML escaping plus every control character as a character reference, so a
 * dump is always one log line: a newline in an attribute or text sent by a
 * peer must not start a line of its own that looks like ours.
 */
function escapeForLog(value: string): string {
  return value.replace(/[&<>"']|[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16)};`);
}

/** One line of XML for a debug log, bounded in depth and length whatever the input. */
export function dumpXml(element: XmlElement, limits: DumpLimits = DUMP_LIMITS): string {
  const out: string[] = [];
  let length = 0;
  // Each piece is cut before it is escaped: a megabyte attribute costs no more than a short one.
  const cut = (value: string) => escapeForLog(value.slice(0, limits.maxLength));
  const push = (piece: string): Step => {
    out.push(piece);
    length += piece.length;
    return length > limits.maxLength ? "stop" : undefined;
  };
  walk(element, {
    open: (e, depth) => {
      const name = cut(e.name);
      // The subtree below maxDepth is shown as `…` and never visited.
      if (depth >= limits.maxDepth) return push(`<${name}>…</${name}>`) ?? "skip";
      const empty = e.children.length === 0;
      return push(`<${name}${attrText(e, cut)}${empty ? "/" : ""}>`);
    },
    close: (e) => void (e.children.length > 0 && push(`</${cut(e.name)}>`)),
    text: (t) => push(cut(t)),
  });
  const text = out.join("");
  return text.length > limits.maxLength ? `${text.slice(0, limits.maxLength)}…[truncated]` : text;
}
