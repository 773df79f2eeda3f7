package main

import (
	"fmt"
	"log"
	"os"
)

// log.Fatal writes its message and exits with status 1; here the log goes
// to stdout so the message is part of what is compared.
func main() {
	defer fmt.Println("deferred: never printed")
	log.SetFlags(0)
	log.SetOutput(os.Stdout)
	log.SetPrefix("app: ")
	fmt.Println("working")
	log.Println("a logged line")
	log.Fatalf("giving up after %d tries", 3)
	fmt.Println("not reached")
}
