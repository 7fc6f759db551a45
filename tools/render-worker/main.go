// kiln-render-worker: renders jsonnet in a long-lived process, so a fleet of 1,000 clusters pays Go's
// start-up once per core instead of once per render. It links go-jsonnet at the version of the pinned
// jsonnet CLI and reproduces what that CLI prints for kiln's invocations (a file, -J dirs, --ext-str,
// --ext-code, --tla-str, --tla-code): the same stdout bytes, the same stderr text, exit code 1 on error.
//
// Protocol (NDJSON over stdio): on start one line {"hello":"kiln-render-worker","jsonnet":"vX.Y.Z"};
// then per request line {"id","engine":"jsonnet","cwd","file","jpath":[],"ext":[{name,value,code}],"tla":[…]}
// one answer line {"id","exitCode","stdout","stderr"}. Requests are served one at a time, in order.
// A request the worker cannot serve gets {"id","unsupported":"why"}: kiln then runs the CLI instead.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/fatih/color"
	"github.com/google/go-jsonnet"
)

type variable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Code  bool   `json:"code"`
}

type request struct {
	ID     int64      `json:"id"`
	Engine string     `json:"engine"`
	Cwd    string     `json:"cwd"`
	File   string     `json:"file"`
	Jpath  []string   `json:"jpath"`
	Ext    []variable `json:"ext"`
	Tla    []variable `json:"tla"`
}

type answer struct {
	ID          int64  `json:"id"`
	ExitCode    int    `json:"exitCode"`
	Stdout      string `json:"stdout"`
	Stderr      string `json:"stderr"`
	Unsupported string `json:"unsupported,omitempty"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("kiln-render-worker jsonnet %s\n", jsonnet.Version())
		return
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	must(enc.Encode(map[string]string{"hello": "kiln-render-worker", "jsonnet": jsonnet.Version()}))
	must(out.Flush())
	for {
		line, err := in.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			must(enc.Encode(serve(line)))
			must(out.Flush())
		}
		if err != nil {
			return // stdin closed: kiln is done with us
		}
	}
}

func must(err error) {
	if err != nil {
		os.Exit(3) // kiln went away; nothing to report to
	}
}

func serve(line []byte) (a answer) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return answer{ID: -1, Unsupported: "bad request: " + err.Error()}
	}
	a.ID = req.ID
	defer func() {
		// a Go panic in the CLI would crash it with a trace: let kiln run the CLI and report that
		if r := recover(); r != nil {
			a = answer{ID: req.ID, Unsupported: fmt.Sprintf("panic: %v\n%s", r, debug.Stack())}
		}
	}()
	if req.Engine != "jsonnet" {
		return answer{ID: req.ID, Unsupported: "unknown engine " + req.Engine}
	}
	if req.Cwd != "" {
		// the CLI runs in the fleet root; relative paths resolve against it
		if err := os.Chdir(req.Cwd); err != nil {
			return answer{ID: req.ID, Unsupported: "chdir: " + err.Error()}
		}
	}
	return evalJsonnet(req)
}

// evalJsonnet does what `jsonnet [-J dir]… [--ext-*|--tla-* k=v]… file` does, VM settings included.
func evalJsonnet(req request) answer {
	vm := jsonnet.MakeVM()
	vm.ErrorFormatter.SetColorFormatter(color.New(color.FgRed).Fprintf)
	// std.trace writes to the CLI's stderr before any error text: collect it in the same order
	var stderr strings.Builder
	vm.SetTraceOut(&stderr)
	for _, v := range req.Ext {
		if v.Code {
			vm.ExtCode(v.Name, v.Value)
		} else {
			vm.ExtVar(v.Name, v.Value)
		}
	}
	for _, v := range req.Tla {
		if v.Code {
			vm.TLACode(v.Name, v.Value)
		} else {
			vm.TLAVar(v.Name, v.Value)
		}
	}
	// JSONNET_PATH is not in kiln's tool environment, so the search path is the -J dirs alone
	vm.Importer(&jsonnet.FileImporter{JPaths: append([]string{}, req.Jpath...)})
	// the CLI reads the file itself first and words a failure its own way
	if _, err := os.ReadFile(req.File); err != nil {
		op, inner := "", err
		if pe, ok := err.(*os.PathError); ok {
			op, inner = pe.Op, pe.Err
		}
		switch op {
		case "open":
			return answer{ID: req.ID, ExitCode: 1, Stderr: fmt.Sprintf("Opening input file: %s: %s\n", req.File, inner.Error())}
		case "read":
			return answer{ID: req.ID, ExitCode: 1, Stderr: fmt.Sprintf("Reading input file: %s: %s\n", req.File, inner.Error())}
		default:
			return answer{ID: req.ID, ExitCode: 1, Stderr: inner.Error() + "\n"}
		}
	}
	output, err := vm.EvaluateFile(req.File)
	if err != nil {
		stderr.WriteString(err.Error() + "\n")
		return answer{ID: req.ID, ExitCode: 1, Stderr: stderr.String()}
	}
	return answer{ID: req.ID, ExitCode: 0, Stdout: output, Stderr: stderr.String()}
}
