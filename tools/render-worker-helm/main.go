// kiln-render-worker-helm: `helm template` in a long-lived process, so a fleet of 1,000 clusters pays
// Helm's start-up (Go runtime, client-go and Helm's package init, the root command's set-up) once per
// core instead of once per render. It links helm.sh/helm/v4 at the version of the pinned helm CLI (by
// MVS this module selects exactly the dependency versions of Helm's own go.mod) and runs Helm's own root
// command in-process with the argv kiln would give the CLI: the same stdout bytes, the same stderr text,
// the same exit code.
//
// Protocol (NDJSON over stdio): on start one line {"hello":"kiln-render-worker","helm":"vX.Y.Z","helmBuild":"…"}; then
// per request line {"id","engine":"helm","cwd","args":["template",…]} one answer line
// {"id","exitCode","stdout","stderr"}; with "values":true, after a render that succeeded, also "values":
// the output's documents as JSON (tools/worker-values), when they can be given exactly. Requests are
// served one at a time, in order. A request the worker cannot stand in for (another subcommand, a Go
// panic, state it cannot vouch for) gets {"id","unsupported":"why"}: kiln then runs the CLI instead.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"helm.sh/helm/v4/pkg/kube"
)

const helmModule = "helm.sh/helm/v4"

type request struct {
	ID     int64    `json:"id"`
	Engine string   `json:"engine"`
	Cwd    string   `json:"cwd"`
	Args   []string `json:"args"`
	Values bool     `json:"values"`
}

type answer struct {
	ID          int64           `json:"id"`
	ExitCode    int             `json:"exitCode"`
	Stdout      string          `json:"stdout"`
	Stderr      string          `json:"stderr"`
	Unsupported string          `json:"unsupported,omitempty"`
	Values      json.RawMessage `json:"values,omitempty"`
}

// linkedVersion is the helm module version this binary was built against.
func linkedVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == helmModule {
				if dep.Replace != nil {
					return dep.Replace.Version
				}
				return dep.Version
			}
		}
	}
	return "(unknown)"
}

func main() {
	// what helm's main sets before anything else (cmd/helm/helm.go)
	kube.ManagedFieldsManager = "helm"
	linked := linkedVersion()
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("kiln-render-worker-helm helm %s\n", linked)
		return
	}
	// Answers go to the real stdout; while a request runs, os.Stdout is a capture pipe.
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	w := newWorker(linked)
	// helmBuild: what charts see as .Capabilities.HelmVersion, in the words of
	// `helm version --template '{{.Version}} {{.GitCommit}} {{.GitTreeState}} {{.GoVersion}}'`: kiln uses
	// the worker only for a CLI that says the same (one built like it, not a release with its own commit)
	must(enc.Encode(map[string]string{"hello": "kiln-render-worker", "helm": linked, "helmBuild": w.build()}))
	must(out.Flush())
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			must(enc.Encode(w.serve(line)))
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
