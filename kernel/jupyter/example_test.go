package jupyter_test

import (
	"fmt"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

// A kernel decodes a request, checks its signature, and answers with a
// reply whose parent_header is the request's header.
func ExampleDecode() {
	signer := jupyter.NewSigner([]byte("connection-key"))

	// What a client sends (built here with the same package).
	req, _ := jupyter.NewMessage(nil, "kernel_info_request", "client-session", struct{}{})
	req.Identities = [][]byte{[]byte("client-id")}
	frames := jupyter.Encode(req, signer)

	got, err := jupyter.Decode(frames, signer)
	if err != nil {
		fmt.Println(err)
		return
	}
	reply, _ := jupyter.NewMessage(got, "kernel_info_reply", "kernel-session", jupyter.KernelInfoReply{Status: jupyter.StatusOK})
	fmt.Println(got.Header.MsgType, "->", reply.Header.MsgType)
	fmt.Println("routed to", string(reply.Identities[0]))
	fmt.Println("parent is the request:", string(reply.ParentHeader) == string(got.RawHeader))

	// The same frames checked with another key are refused.
	_, err = jupyter.Decode(frames, jupyter.NewSigner([]byte("wrong")))
	fmt.Println(err)
	// Output:
	// kernel_info_request -> kernel_info_reply
	// routed to client-id
	// parent is the request: true
	// jupyter: decode: missing or invalid signature
}
