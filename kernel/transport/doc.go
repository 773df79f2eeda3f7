// Package transport owns the five ZeroMQ sockets of a kernel (go-zeromq/zmq4):
// shell, control and stdin (ROUTER), iopub (PUB) and heartbeat (REP, echoed
// on its own goroutine). It moves raw multipart frames; signing and decoding
// belong to package jupyter and meaning to package server.
//
// Files:
//   - transport.go: Sockets, Listen, Recv, Send, Close and the heartbeat loop.
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
//     not implemented here.
package transport
