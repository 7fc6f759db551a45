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
// os.Stdin is /dev/null meanwhile, as kiln gives the CLI: `-f -` must not read the requests.
type capture struct {
	realIn, realOut, realErr *os.File
	devNull                  *os.File
	colorOut, colorErr       io.Writer
	outW, errW               *os.File
	done                     chan struct{}
	stdout, stderr           bytes.Buffer
}

func startCapture() (*capture, error) {
	c := &capture{realIn: os.Stdin, realOut: os.Stdout, realErr: os.Stderr, colorOut: color.Output, colorErr: color.Error, done: make(chan struct{}, 2)}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		devNull.Close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		devNull.Close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	c.devNull, c.outW, c.errW = devNull, outW, errW
	drain := func(r *os.File, buf *bytes.Buffer) {
		_, _ = io.Copy(buf, r)
		r.Close()
		c.done <- struct{}{}
	}
	go drain(outR, &c.stdout)
	go drain(errR, &c.stderr)
	os.Stdin, os.Stdout, os.Stderr = devNull, outW, errW
	color.Output, color.Error = outW, errW
	log.SetOutput(errW)
	return c, nil
}

// stop restores the real streams and returns everything written to the pipes.
func (c *capture) stop(pristineLogger *slog.Logger) (string, string) {
	os.Stdin, os.Stdout, os.Stderr = c.realIn, c.realOut, c.realErr
	color.Output, color.Error = c.colorOut, c.colorErr
	c.devNull.Close()
	// Helm's logger holds the pipe: between requests nothing may write to a closed one
	slog.SetDefault(pristineLogger)
	log.SetOutput(c.realErr)
	c.outW.Close()
	c.errW.Close()
	<-c.done
	<-c.done
	return c.stdout.String(), c.stderr.String()
}
