// Command ferretdb-embedded runs FerretDB v1 (SQLite backend) as a local
// MongoDB wire-protocol server for development and tests.
//
// It embeds github.com/FerretDB/FerretDB/ferretdb instead of building
// cmd/ferretdb, because the latter panics at start without a generated
// build/version/version.txt.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data", "data/ferretdb", "directory for the SQLite files")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "bad -log-level: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		fmt.Fprintf(os.Stderr, "cannot create %s: %v\n", *dataDir, err)
		os.Exit(1)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "/",
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	go keepIDIndexes(ctx, *dataDir, logger)

	// Announce readiness only once the port accepts connections, so callers
	// can wait on this line instead of polling.
	host, port, _ := net.SplitHostPort(*listen)
	for {
		select {
		case err := <-done:
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
				os.Exit(1)
			}
			return
		default:
		}
		c, err := net.Dial("tcp", net.JoinHostPort(host, port))
		if err == nil {
			c.Close()
			fmt.Printf("ready mongodb://%s\n", *listen)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := <-done; err != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
		os.Exit(1)
	}
}
