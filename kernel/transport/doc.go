// Package transport owns the five ZeroMQ sockets of a kernel (go-zeromq/zmq4):
// shell, control and stdin (ROUTER), iopub (PUB) and heartbeat (REP, echoed
// on its own goroutine). It moves raw multipart frames; signing and decoding
// belong to package jupyter and meaning to package server.
//
// Files:
//   - transport.go: Sockets, Listen, Recv, Send, Close and the heartbeat loop.
//
// zmq4 v0.17.0 behaviours this package works around:
//   - A send waits up to the socket timeout (5 min by default) when no peer
//     is connected; Listen sets a short timeout so that a reply to a client
//     that went away cannot hold up the kernel.
//   - ROUTER peers that connect without an identity get a random one (fixed
//     in v0.16), so jupyter_server's identity-less nudge works.
//   - The PUB queue is unbounded and drained by one goroutine for all
//     subscribers, so publishing never blocks the caller.
package transport
