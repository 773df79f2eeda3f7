// Package jupyter is the Jupyter messaging protocol (version 5.4) as data:
// message headers, the multipart wire format with its HMAC-SHA256 signature,
// the typed contents of the messages gokernel sends and receives, and the
// connection file a frontend hands to a kernel.
//
// It knows nothing about sockets (package transport moves the frames) nor
// about what a request means (package server answers it). Standard library only.
//
// Files:
//   - message.go: Header, Message, NewHeader, NewReply and the protocol constants.
//   - wire.go: Signer (HMAC), Encode and Decode of the multipart frames.
//   - content.go: typed contents of requests, replies and iopub messages.
//   - connection.go: ConnectionInfo and ReadConnectionFile.
package jupyter
