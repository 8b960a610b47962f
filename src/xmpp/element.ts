/**
 * The minimal element shape the codec works on. It is structurally what
 * @xmpp/xml (ltx) elements look like, so the session wrapper can hand
 * received stanzas straight to the codec, and tests can build them by hand,
 * without the codec depending on any XMPP library.
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

export function textOf(element: XmlElement): string {
  return element.children.map((c) => (typeof c === "string" ? c : textOf(c))).join("");
}

export function findChild(element: XmlElement, name: string, ns: string, parentNs = "jabber:client"): XmlElement | undefined {
  const scope = namespaceOf(element, parentNs);
  return childElements(element).find((c) => c.name === name && namespaceOf(c, scope) === ns);
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Serialise for logs and tests (the session uses @xmpp/xml's own writer). */
export function toXml(element: XmlElement): string {
  const attrs = Object.entries(element.attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${String(v).replace(/[&<>"']/g, (c) => ESCAPES[c]!)}"`)
    .join("");
  if (element.children.length === 0) return `<${element.name}${attrs}/>`;
  const inner = element.children
    .map((c) => (typeof c === "string" ? c.replace(/[&<>]/g, (x) => ESCAPES[x]!) : toXml(c)))
    .join("");
  return `<${element.name}${attrs}>${inner}</${element.name}>`;
}
