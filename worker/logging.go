package main

import (
	"io"
	"log/slog"
)

// newLogger returns the worker's slog logger in the configured format.
func newLogger(w io.Writer, c *config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.logLevel}
	if c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
