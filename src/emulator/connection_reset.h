// Closing an HTTP connection without a response, from inside a cpp-httplib
// handler (the fault script's `reset` action, docs/emulator.md).
//
// cpp-httplib 0.11 gives handlers no access to the connection's socket, and
// an exception in a handler becomes a 500 response, not a reset. So the
// socket is found by its endpoints: the one open socket whose local port and
// peer address/port are the request's (Request::local_port, remote_addr,
// remote_port). It gets SO_LINGER {on, 0} and shutdown(SHUT_RDWR): the peer
// reads EOF before any response byte, and when httplib closes the descriptor
// after the handler returns, the kernel sends a TCP RST. httplib's own write of
// the response fails quietly (EPIPE; the emulator ignores SIGPIPE).
#pragma once

#include <string>

namespace cdp_relay::emulator {

// Returns false when no open socket has these endpoints (nothing is done).
bool reset_connection(int local_port, const std::string& remote_addr, int remote_port);

}  // namespace cdp_relay::emulator
