package main

import (
	"bytes"
	"io"
	"log"
	"log/slog"
	"os"

	"github.com/fatih/color"
)

// capture points the process's stdout and stderr (os.Stdout/os.Stderr, the log package and
// fatih/color's writers, all of which Helm writes through) at pipes for one request, so what the CLI
// would print lands in the answer, in the order it was written, and never on the protocol stream.
type capture struct {
	realOut, realErr   *os.File
	colorOut, colorErr io.Writer
	outW, errW         *os.File
	done               chan struct{}
	stdout, stderr     bytes.Buffer
}

func startCapture() (*capture, error) {
	c := &capture{realOut: os.Stdout, realErr: os.Stderr, colorOut: color.Output, colorErr: color.Error, done: make(chan struct{}, 2)}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	c.outW, c.errW = outW, errW
	drain := func(r *os.File, buf *bytes.Buffer) {
		_, _ = io.Copy(buf, r)
		r.Close()
		c.done <- struct{}{}
	}
	go drain(outR, &c.stdout)
	go drain(errR, &c.stderr)
	os.Stdout, os.Stderr = outW, errW
	color.Output, color.Error = outW, errW
	log.SetOutput(errW)
	return c, nil
}

// stop restores the real streams and returns everything written to the pipes.
func (c *capture) stop(pristineLogger *slog.Logger) (string, string) {
	os.Stdout, os.Stderr = c.realOut, c.realErr
	color.Output, color.Error = c.colorOut, c.colorErr
	// Helm's logger holds the pipe: between requests nothing may write to a closed one
	slog.SetDefault(pristineLogger)
	log.SetOutput(c.realErr)
	c.outW.Close()
	c.errW.Close()
	<-c.done
	<-c.done
	return c.stdout.String(), c.stderr.String()
}
