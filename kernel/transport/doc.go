// Package transport owns the five ZeroMQ sockets of a kernel (go-zeromq/zmq4):
// shell, control and stdin (ROUTER), iopub (PUB) and heartbeat (REP, echoed
// on its own goroutine). It moves raw multipart frames; signing and decoding
// belong to package jupyter and meaning to package server.
//
// Files:
//   - transport.go: Sockets, Listen, Recv, Send, Close and the heartbeat loop.
//   - early.go: iopub messages published before the first subscriber held and
//     delivered to it (jupyter_client's wait_for_ready needs the first status).
//
// zmq4 v0.17.0 behaviours this package depends on or works around:
//   - A send waits up to the socket timeout (5 min by default) while no peer
//     has ever connected; Listen sets 10 s so a reply to a client that never
//     came cannot hold a channel for minutes.
//   - A ROUTER send to an identity that is not connected is dropped without
//     an error (the client went away: nothing to do).
//   - ROUTER peers that connect without an identity get a random one (fixed
//     in v0.16), so jupyter_server's identity-less nudge works.
//   - Writes to a peer have no deadline: a client that stops reading can
//     stall its socket. The PUB queue is unbounded and drained by one
//     goroutine for all subscribers (zmq4 issue #151), so publishing never
//     blocks the caller, but one stalled subscriber delays the others.
//   - XPUB swallows subscription frames, so protocol 5.5's iopub_welcome is
//     not implemented here (see below).
//
// Why there is no iopub_welcome (protocol 5.5), and what it would take: a kernel
// sends iopub_welcome when a subscription arrives on its XPUB iopub socket, so a
// client knows its SUB is connected before it sends requests. In zmq4 v0.17.0 the
// XPUB reader (pubQReader.listen) recognises a one-frame message starting with 0x00
// or 0x01 as a (un)subscription, records the topic on the connection and never
// passes it to Recv; no callback reports new connections either. Topics() is no
// substitute: it returns the set of topics, and every Jupyter client subscribes to
// "", so a second subscriber does not change it. Guessing (a welcome on every
// accept, or on a timer) would send welcomes nobody subscribed for, which is the
// "hack" the protocol wants to avoid. Doing it properly needs one of: a zmq4 change
// that hands XPUB subscription messages to Recv (libzmq's default XPUB behaviour;
// about ten lines in pubQReader.listen, upstream or through a replace directive to
// a fork), or the cgo libzmq binding (which would cost the Go-only install). With
// either, the server would Recv on iopub, and on a 0x01 frame publish an
// iopub_welcome whose content is {"subscription": topic}. Clients of protocol 5.4
// and 5.5 work without it: they fall back to probing with kernel_info until iopub
// delivers, which this kernel answers from its first moment.
package transport
