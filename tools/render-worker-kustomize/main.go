// kiln-render-worker-kustomize: `kustomize build DIR` in a long-lived process, so a fleet of 1,000
// clusters pays Go's start-up and kustomize's initialisation (its built-in OpenAPI schema, parsed on
// first use) once per core instead of once per build. It requires only the kustomize CLI module at
// the pinned version, so by MVS it links exactly the api/kyaml/cobra versions of that CLI, and it runs
// the CLI's own `build` cobra command, wired as kustomize's commands.NewDefaultCommand wires it, fresh
// per request: the same stdout bytes, the same stderr text, exit code 1 on error as kustomize's main.
//
// Protocol (NDJSON over stdio): on start one line {"hello":"kiln-render-worker","kustomize":"vX.Y.Z"};
// then per request line {"id","engine":"kustomize","cwd","args":["build","/abs/dir"]} one answer line
// {"id","exitCode","stdout","stderr"}, or {"id","unsupported":"why"} when it cannot stand in for the CLI
// (another subcommand or flag, a Go panic): kiln then runs the CLI. Requests are served one at a time.
// A request with "values":true also gets, after a build that succeeded, "values": the output's
// documents as JSON (tools/worker-values), when they can be given exactly. {"id","engine":"values","text"} asks
// only for the values of a text (kiln's tests hold them against its own reader); declined: unsupported.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/debug"
	"strings"
	_ "unsafe" // go:linkname: cobra's process-wide completion map

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/kustomize/v5/commands/build"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"

	"kiln.local/worker-values"
)

const cliModule = "sigs.k8s.io/kustomize/kustomize/v5"

// cobra keeps every flag's shell-completion function in a package-level map keyed by the flag (the
// build command registers one for --load-restrictor): each request's command would stay reachable.
//
//go:linkname cobraFlagCompletions github.com/spf13/cobra.flagCompletionFunctions
var cobraFlagCompletions map[*pflag.Flag]cobra.CompletionFunc

type request struct {
	ID     int64    `json:"id"`
	Engine string   `json:"engine"`
	Cwd    string   `json:"cwd"`
	Args   []string `json:"args"`
	Values bool     `json:"values"`
	Text   string   `json:"text"`
}

type answer struct {
	ID          int64           `json:"id"`
	ExitCode    int             `json:"exitCode"`
	Stdout      string          `json:"stdout"`
	Stderr      string          `json:"stderr"`
	Unsupported string          `json:"unsupported,omitempty"`
	Values      json.RawMessage `json:"values,omitempty"`
}

// capture is where the library's os.Stdout / os.Stderr / log writes of one request land.
type capture struct{ out, err *os.File }

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("kiln-render-worker kustomize %s\n", linkedVersion())
		return
	}
	// the protocol keeps the real stdio; everything the library writes to os.Stdout, os.Stderr or the
	// standard logger (deprecation warnings, cobra's "Error: …") goes to the request's capture files
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	c := capture{out: scratch(), err: scratch()}
	os.Stdout, os.Stderr = c.out, c.err
	log.SetOutput(c.err)
	if null, err := os.Open(os.DevNull); err == nil {
		os.Stdin = null
	}
	// kustomize's root command does this once per process (flag.CommandLine feeds its persistent flags)
	flag.CommandLine.Parse([]string{})
	pristine := openapi.GetSchemaVersion()

	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	must(enc.Encode(map[string]string{"hello": "kiln-render-worker", "kustomize": linkedVersion()}))
	must(out.Flush())
	// kyaml parses its built-in OpenAPI schema on first use (~100 ms): do it now, while kiln plans,
	// rather than in the first build that patches. The schema is the same whenever it is parsed, and a
	// build finds it parsed after any earlier build in this process anyway.
	openapi.Schema()
	for {
		line, err := in.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			must(enc.Encode(serve(line, c, pristine)))
			must(out.Flush())
		}
		if err != nil {
			return // stdin closed: kiln is done with us
		}
	}
}

// linkedVersion is the kustomize CLI module this binary links, as kustomize's own `version` reads it.
func linkedVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == cliModule {
				return d.Version
			}
		}
	}
	return "unknown"
}

func scratch() *os.File {
	f, err := os.CreateTemp("", "kiln-render-worker-kustomize-")
	if err != nil {
		os.Exit(3)
	}
	_ = os.Remove(f.Name()) // open and unlinked: gone with the process
	return f
}

func must(err error) {
	if err != nil {
		os.Exit(3) // kiln went away; nothing to report to
	}
}

// reset empties a capture file before a request.
func reset(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

func readBack(f *os.File) (string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	b, err := io.ReadAll(f)
	return string(b), err
}

func serve(line []byte, c capture, pristine string) (a answer) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return answer{ID: -1, Unsupported: "bad request: " + err.Error()}
	}
	a.ID = req.ID
	if req.Engine == "values" {
		if v := values.Of(req.Text); v != nil {
			return answer{ID: req.ID, Values: v}
		}
		return answer{ID: req.ID, Unsupported: "declined"}
	}
	if req.Engine != "kustomize" {
		return answer{ID: req.ID, Unsupported: "unknown engine " + req.Engine}
	}
	// only what kiln runs: `build DIR`; any flag (--help, -o, --enable-helm, …) is the CLI's
	if len(req.Args) != 2 || req.Args[0] != "build" || strings.HasPrefix(req.Args[1], "-") {
		return answer{ID: req.ID, Unsupported: fmt.Sprintf("only `build DIR` is served, not %q", req.Args)}
	}
	if req.Cwd != "" {
		if err := os.Chdir(req.Cwd); err != nil {
			return answer{ID: req.ID, Unsupported: "chdir: " + err.Error()}
		}
	}
	if err := reset(c.out); err != nil {
		return answer{ID: req.ID, Unsupported: "capture: " + err.Error()}
	}
	if err := reset(c.err); err != nil {
		return answer{ID: req.ID, Unsupported: "capture: " + err.Error()}
	}
	defer func() {
		// kyaml's OpenAPI schema is process-wide: a kustomization's `openapi:` field (a custom schema or a
		// built-in version) sets it, and kustomizer.Run's SetSchema(…, reset=true) does not clear it for a
		// later build without one. Back to the state of a fresh process whenever a build changed it.
		if openapi.GetSchemaVersion() != pristine {
			openapi.ResetOpenAPI()
		}
		// a Go panic would crash the CLI with a trace: let kiln run the CLI and report that
		if r := recover(); r != nil {
			openapi.ResetOpenAPI()
			a = answer{ID: req.ID, Unsupported: fmt.Sprintf("panic: %v\n%s", r, debug.Stack())}
		}
	}()
	exit := 0
	clear(cobraFlagCompletions)
	root := rootCommand()
	root.SetArgs(req.Args)
	if err := root.Execute(); err != nil {
		exit = 1 // kustomize's main: os.Exit(1) on any error, cobra has printed it
	}
	stdout, err1 := readBack(c.out)
	stderr, err2 := readBack(c.err)
	if err1 != nil || err2 != nil {
		return answer{ID: req.ID, Unsupported: fmt.Sprintf("capture: %v %v", err1, err2)}
	}
	a = answer{ID: req.ID, ExitCode: exit, Stdout: stdout, Stderr: stderr}
	if req.Values && exit == 0 {
		a.Values = values.Of(stdout)
	}
	return a
}

// rootCommand is kustomize's root command as commands.NewDefaultCommand wires it, with only the build
// subcommand (the one served), built fresh per request: the build flags are package variables that
// registering them resets to their defaults. Its output goes to os.Stdout, the request's capture.
func rootCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   konfig.ProgramName,
		Short: "Manages declarative configuration of Kubernetes",
		Long: `
Manages declarative configuration of Kubernetes.
See https://sigs.k8s.io/kustomize
`,
	}
	b := build.NewCmdBuild(filesys.MakeFsOnDisk(), build.MakeHelp(konfig.ProgramName, "build"), os.Stdout)
	build.AddFunctionAlphaEnablementFlags(b.Flags())
	c.AddCommand(b)
	c.PersistentFlags().AddGoFlagSet(flag.CommandLine)
	return c
}
