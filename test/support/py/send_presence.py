"""Log in, send one raw undirected presence stanza, and exit once the
server has processed it.

Usage: XMPP_PASSWORD=... send_presence.py --jid J --host H --port P
           --ca-file CA '<presence>...</presence>'

The stanza goes out byte for byte (send_raw), so tests can feed exactly
what git-annex's assistant sent (DESIGN.md section 2.1). A server handles a
session's stanzas in order, so once the XEP-0199 ping sent after it is
answered, the presence has been processed and fanned out.
"""
import sys

import slixmpp
from xmpp_client import make_client, parse_args, run_session


def add_args(parser):
    parser.add_argument("xml", help="the <presence/> stanza to send, or - to read it from stdin")


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], add_args)
    if args.xml == "-":
        args.xml = sys.stdin.read()
    xmpp = make_client(args)

    async def on_session(client: slixmpp.ClientXMPP) -> None:
        client.send_raw(args.xml)
        await client.plugin["xep_0199"].ping(timeout=10)

    return run_session(xmpp, args, on_session, finish_when_done=True)


if __name__ == "__main__":
    sys.exit(main())
