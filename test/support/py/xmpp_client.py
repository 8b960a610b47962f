"""Shared login code for the slixmpp test helpers.

Run with Debian's /usr/bin/python3 (python3-slixmpp 1.8). The password comes
from the XMPP_PASSWORD environment variable, never from argv, so it does not
show in `ps` (DESIGN.md section 3: credentials never on a command line).
"""
import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Awaitable, Callable, Optional

import slixmpp

# Exit codes the TypeScript wrapper reports verbatim.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_AUTH = 3
EXIT_TLS = 4
EXIT_CONNECT = 5
EXIT_DISCONNECTED = 6
EXIT_TIMEOUT = 7


def parse_args(description: str, extra: Callable[[argparse.ArgumentParser], None]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--jid", required=True, help="bare or full JID")
    parser.add_argument("--host", required=True, help="address to connect to (no SRV lookup)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca-file", required=True, help="the only CA trusted for the server certificate")
    parser.add_argument("--login-timeout", type=float, default=20.0)
    parser.add_argument("--debug", action="store_true", help="log the XML stream to stderr")
    extra(parser)
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)
    return args


def make_client(args: argparse.Namespace) -> slixmpp.ClientXMPP:
    password = os.environ.get("XMPP_PASSWORD")
    if password is None:
        sys.exit("XMPP_PASSWORD is not set")
    # slixmpp takes its event loop from asyncio at construction: give it a
    # fresh one explicitly (Python 3.11 deprecates the implicit one).
    asyncio.set_event_loop(asyncio.new_event_loop())
    xmpp = slixmpp.ClientXMPP(args.jid, password)
    # Setting ca_certs makes slixmpp load only this CA; its SSL context keeps
    # check_hostname=True and CERT_REQUIRED, so the certificate must name
    # the JID's domain. Verification is never switched off.
    xmpp.ca_certs = Path(args.ca_file)
    xmpp.register_plugin("xep_0199")  # XEP-0199 ping, for round trips
    return xmpp


def run_session(
    xmpp: slixmpp.ClientXMPP,
    args: argparse.Namespace,
    on_session: Callable[[slixmpp.ClientXMPP], Awaitable[None]],
    finish_when_done: bool,
) -> int:
    """Connects with mandatory STARTTLS, runs on_session once online, and
    returns an exit code. Any failure ends the run instead of letting
    slixmpp retry forever, so a broken setup fails the test quickly."""
    loop = xmpp.loop
    result: asyncio.Future = loop.create_future()
    online = asyncio.Event()

    def finish(code: int, message: Optional[str] = None) -> None:
        if not result.done():
            if message:
                print(message, file=sys.stderr, flush=True)
            result.set_result(code)

    async def session_start(_event: object) -> None:
        online.set()
        try:
            await on_session(xmpp)
        except Exception as error:  # report and exit, the wrapper shows stderr
            finish(EXIT_ERROR, f"session failed: {error!r}")
            return
        if finish_when_done:
            finish(EXIT_OK)

    async def login_deadline() -> None:
        await asyncio.sleep(args.login_timeout)
        if not online.is_set():
            finish(EXIT_TIMEOUT, f"not online after {args.login_timeout} s")

    xmpp.add_event_handler("session_start", session_start)
    xmpp.add_event_handler("failed_all_auth", lambda _e: finish(EXIT_AUTH, "authentication failed"))
    xmpp.add_event_handler("ssl_invalid_chain", lambda e: finish(EXIT_TLS, f"certificate rejected: {e}"))
    xmpp.add_event_handler("connection_failed", lambda e: finish(EXIT_CONNECT, f"connection failed: {e}"))
    xmpp.add_event_handler("disconnected", lambda r: finish(EXIT_DISCONNECTED, f"disconnected: {r}"))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, finish, EXIT_OK)

    deadline = loop.create_task(login_deadline())
    # force_starttls (the default) aborts if the server offers no STARTTLS.
    xmpp.connect((args.host, args.port))
    code = loop.run_until_complete(result)
    deadline.cancel()
    if code in (EXIT_OK, EXIT_ERROR) and online.is_set():
        # Close the stream properly so the server broadcasts unavailable
        # presence now rather than when it notices a dead socket.
        try:
            loop.run_until_complete(asyncio.wait_for(xmpp.disconnect(), 5))
        except (asyncio.TimeoutError, Exception):
            pass
    # Cancel slixmpp's leftover tasks (its stanza filter loop) so asyncio
    # does not print "Task was destroyed but it is pending" at exit.
    leftovers = asyncio.all_tasks(loop)
    for task in leftovers:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
    loop.close()
    return code
