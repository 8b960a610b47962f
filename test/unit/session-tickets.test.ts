import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { answerSessionTickets } from "../../src/xmpp/transport.js";

/** The TLS socket (its "session" events, its writes) inside xmpp.js's wrapper (its "connect"). */
function fakeSockets() {
  const written: string[] = [];
  const tlsSocket = Object.assign(new EventEmitter(), { writable: true, write: (text: string) => void written.push(text) });
  const wrapper = Object.assign(new EventEmitter(), { socket: tlsSocket as unknown });
  return { written, tlsSocket, wrapper };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("answerSessionTickets", () => {
  it("answers a ticket that came before the stream header only once the header is out", async () => {
    const { written, tlsSocket, wrapper } = fakeSockets();
    answerSessionTickets(wrapper);
    tlsSocket.emit("session");
    tlsSocket.emit("session");
    await nextTurn();
    expect(written).toEqual([]);
    wrapper.emit("connect");
    await nextTurn();
    expect(written).toEqual([" "]);
  });

  it("answers each later ticket with one whitespace keepalive, a turn later", async () => {
    const { written, tlsSocket, wrapper } = fakeSockets();
    answerSessionTickets(wrapper);
    wrapper.emit("connect");
    tlsSocket.emit("session");
    expect(written).toEqual([]);
    await nextTurn();
    expect(written).toEqual([" "]);
    tlsSocket.emit("session");
    await nextTurn();
    expect(written).toEqual([" ", " "]);
  });

  it("writes nothing to a socket that was closed or replaced meanwhile", async () => {
    const { written, tlsSocket, wrapper } = fakeSockets();
    answerSessionTickets(wrapper);
    wrapper.emit("connect");
    tlsSocket.emit("session");
    wrapper.socket = null;
    await nextTurn();
    tlsSocket.writable = false;
    wrapper.socket = tlsSocket;
    tlsSocket.emit("session");
    await nextTurn();
    expect(written).toEqual([]);
  });
});
