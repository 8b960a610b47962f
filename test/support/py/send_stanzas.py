"""Log in once and send many different raw stanzas, read from stdin one a
line, spread evenly over a given duration: hostile input for the
listener's receive path (issue 8).

Usage: XMPP_PASSWORD=... send_stanzas.py --jid J --host H --port P --ca-file CA
           --duration 5.0 [--barrier-xml '<presence>...query...</presence>'] < stanzas.txt

Each line goes out byte for byte (send_raw). A ping round trip follows
(the server has then processed every stanza). With --barrier-xml, that
stanza goes out next and the run waits for a git-annex presence from
another resource of the account: a listener answers a git-annex query in
order, so its answer proves it has handled everything sent before.
DONE <count> <seconds> is printed at the end.
"""
import asyncio
import sys
import time

import slixmpp
from xmpp_client import make_client, parse_args, run_session

GIT_ANNEX_TAG = "{git-annex}git-annex"


def add_args(parser):
    parser.add_argument("--duration", type=float, default=5.0, help="seconds to spread the stanzas over")
    parser.add_argument("--barrier-xml", help="a git-annex query to send last, answered by the listener")
    parser.add_argument("--barrier-timeout", type=float, default=120.0)


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], add_args)
    stanzas = [line for line in sys.stdin.read().split("\n") if line]
    xmpp = make_client(args)

    async def barrier(client: slixmpp.ClientXMPP) -> None:
        answered = asyncio.Event()

        def on_presence(presence) -> None:
            sender = presence["from"]
            if sender.bare == client.boundjid.bare and sender.resource != client.boundjid.resource \
                    and presence.xml.find(GIT_ANNEX_TAG) is not None:
                answered.set()

        client.add_event_handler("presence", on_presence)
        client.send_raw(args.barrier_xml)
        await asyncio.wait_for(answered.wait(), args.barrier_timeout)
        print("BARRIER", flush=True)

    async def on_session(client: slixmpp.ClientXMPP) -> None:
        started = time.monotonic()
        for sent, stanza in enumerate(stanzas, 1):
            client.send_raw(stanza)
            # Pace against the clock, so the run takes the duration asked.
            due = started + args.duration * sent / len(stanzas)
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
        await client.plugin["xep_0199"].ping(timeout=120)
        if args.barrier_xml:
            await barrier(client)
        print(f"DONE {len(stanzas)} {time.monotonic() - started:.3f}", flush=True)

    return run_session(xmpp, args, on_session, finish_when_done=True)


if __name__ == "__main__":
    sys.exit(main())
