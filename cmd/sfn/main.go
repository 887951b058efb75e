// Command sfn is sfn's single binary: the server (`sfn serve`), offline
// tools for definitions (`validate`, `schema`, `graph`, `run`) and a client
// for a running server (`deploy`, `start`, `history`, …).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv)
	stop()
	os.Exit(code)
}
