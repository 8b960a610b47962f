import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

export interface TestCertificates {
  /** PEM of the private CA: what clients trust (`ca` option, NODE_EXTRA_CA_CERTS). */
  caFile: string;
  /** Server certificate for the XMPP domain, signed by the CA. */
  certFile: string;
  keyFile: string;
}

/**
 * Makes a private CA and a server certificate for `domain` signed by it.
 *
 * Tests must exercise certificate verification as users run it (DESIGN.md §3:
 * certificates are verified, a private CA is configuration), so the server
 * gets a real chain instead of a self-signed leaf and clients get `caFile`.
 * RFC 6125 / RFC 7590: an XMPP client matches the domain against a DNS SAN,
 * so the leaf carries `subjectAltName=DNS:<domain>` (the CN alone is ignored
 * by Node and Python). P-256 keys keep generation fast.
 */
export async function makeTestCertificates(dir: string, domain: string): Promise<TestCertificates> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, "ca.key");
  const caFile = join(dir, "ca.crt");
  const keyFile = join(dir, `${domain}.key`);
  const csrFile = join(dir, `${domain}.csr`);
  const certFile = join(dir, `${domain}.crt`);
  const extFile = join(dir, `${domain}.ext`);
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

  await openssl([
    "req", "-x509", ...newKey, "-days", "30",
    "-subj", "/CN=git-annex-xmpp test CA",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout", caKey, "-out", caFile,
  ]);
  await openssl(["req", "-new", ...newKey, "-subj", `/CN=${domain}`, "-keyout", keyFile, "-out", csrFile]);
  await writeFile(
    extFile,
    [
      `subjectAltName=DNS:${domain}`,
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "",
    ].join("\n"),
  );
  await openssl([
    "x509", "-req", "-in", csrFile, "-CA", caFile, "-CAkey", caKey,
    // A random serial instead of -CAcreateserial: no stray .srl file.
    "-set_serial", `0x${randomBytes(8).toString("hex")}`,
    "-days", "30", "-extfile", extFile, "-out", certFile,
  ]);
  return { caFile, certFile, keyFile };
}

async function openssl(args: string[]): Promise<void> {
  // openssl writes progress dots and "-----" to stderr; only failures matter.
  await execa("openssl", args, { stdin: "ignore" });
}
