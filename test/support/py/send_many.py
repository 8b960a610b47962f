"""Log in once and send the same raw presence stanza many times, spread
evenly over a given duration: a burst of announcements for the listener's
coalescing (DESIGN.md section 3, "No storms").

Usage: XMPP_PASSWORD=... send_many.py --jid J --host H --port P --ca-file CA
           --count 1000 --duration 1.0 [--hold-last] '<presence>...</presence>'

With --hold-last, everything but the last stanza is sent, HOLDING is
printed, and the last one goes out only after a line arrives on stdin, so a
test can push a commit "during" the burst and make sure the burst's final
announcement comes after it. A ping round trip closes the run (the server
has then processed every stanza); DONE <seconds> is printed.
"""
import asyncio
import sys
import time

import slixmpp
from xmpp_client import make_client, parse_args, run_session


def add_args(parser):
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=1.0, help="seconds to spread the stanzas over")
    parser.add_argument("--hold-last", action="store_true")
    parser.add_argument("--ping-timeout", type=float, default=30.0, help="bound on the closing ping round trip")
    parser.add_argument("xml", help="the <presence/> stanza to send")


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], add_args)
    xmpp = make_client(args)

    async def on_session(client: slixmpp.ClientXMPP) -> None:
        started = time.monotonic()
        first = args.count - 1 if args.hold_last else args.count
        tick = 0.01
        per_tick = max(1, round(first * tick / max(args.duration, tick)))
        sent = 0
        while sent < first:
            for _ in range(min(per_tick, first - sent)):
                client.send_raw(args.xml)
                sent += 1
            # Pace against the clock, not the sleeps, so the burst takes the duration asked.
            due = started + args.duration * sent / max(first, 1)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        if args.hold_last:
            print("HOLDING", flush=True)
            await client.loop.run_in_executor(None, sys.stdin.readline)
            client.send_raw(args.xml)
            sent += 1
        await client.plugin["xep_0199"].ping(timeout=args.ping_timeout)
        print(f"DONE {sent} {time.monotonic() - started:.3f}", flush=True)

    return run_session(xmpp, args, on_session, finish_when_done=True)


if __name__ == "__main__":
    sys.exit(main())
