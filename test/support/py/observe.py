"""Log in and print every presence stanza received, until terminated.

Each presence is one JSON line on stdout: {"from", "to", "type", "xml"}.
Once online, with the initial presence sent and answered by a ping round
trip (so the server has processed it), the line READY is printed.
"""
import json
import sys

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath
from xmpp_client import make_client, parse_args, run_session


def add_args(parser):
    parser.add_argument("--priority", type=int, default=0)
    parser.add_argument("--initial-xml", help="send this raw stanza as initial presence instead")


def print_presence(stanza) -> None:
    line = {
        "from": str(stanza["from"]),
        "to": str(stanza["to"]),
        "type": stanza["type"],
        "xml": str(stanza),
    }
    print(json.dumps(line), flush=True)


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], add_args)
    xmpp = make_client(args)
    # A raw stream handler sees every presence, before slixmpp's roster
    # logic can drop or rewrite any (the "presence" event skips some).
    xmpp.register_handler(Callback(
        "observe all presence",
        MatchXPath("{%s}presence" % xmpp.default_ns),
        print_presence,
    ))

    async def on_session(client: slixmpp.ClientXMPP) -> None:
        # RFC 6121 section 2.2: fetch the roster before initial presence.
        await client.get_roster()
        if args.initial_xml:
            client.send_raw(args.initial_xml)
        else:
            client.send_presence(ppriority=args.priority)
        await client.plugin["xep_0199"].ping(timeout=10)
        print("READY", flush=True)

    return run_session(xmpp, args, on_session, finish_when_done=False)


if __name__ == "__main__":
    sys.exit(main())
