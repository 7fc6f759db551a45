package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sync"
	"syscall"
	_ "unsafe" // go:linkname: process-wide state Helm and cobra keep unexported

	"github.com/fatih/color"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"helm.sh/helm/v4/pkg/chart/common"
	helmcmd "helm.sh/helm/v4/pkg/cmd"

	"kiln.local/worker-values"
)

// Process-wide state that one CLI run starts without and the worker must clear before every request.
//
// cobra.OnInitialize appends to a package-level list: every NewRootCmd adds one more initializer
// (an actionConfig.Init), so without a reset request N would run N of them.
//
//go:linkname cobraInitializers github.com/spf13/cobra.initializers
var cobraInitializers []func()

//go:linkname cobraFinalizers github.com/spf13/cobra.finalizers
var cobraFinalizers []func()

// cobra keeps every flag's shell-completion function in a package-level map keyed by the flag: each
// request's root command (all of Helm's commands and flags) would stay reachable from it for good.
//
//go:linkname cobraFlagCompletions github.com/spf13/cobra.flagCompletionFunctions
var cobraFlagCompletions map[*pflag.Flag]cobra.CompletionFunc

// Helm warns once per process about an unresolved urn: $ref in a values schema; the CLI warns on every run.
//
//go:linkname warnedURNs helm.sh/helm/v4/pkg/chart/common/util.warnedURNs
var warnedURNs sync.Map

// The CLI's release build stamps this (-X …/internal/version.version, as kiln's build-go-tool.sh does);
// a module dependency keeps Helm's placeholder ("v4.3"), which charts see as .Capabilities.HelmVersion.
//
//go:linkname helmVersionStamp helm.sh/helm/v4/internal/version.version
var helmVersionStamp string

// savedFlag is one of the root command's persistent flags as a fresh process has it. Helm binds them
// to its package-level settings (read from HELM_* at init) with the current value as the default, so a
// request's --namespace would otherwise become the next request's default.
type savedFlag struct {
	flag  *pflag.Flag
	value string
	slice []string // for slice flags (--kube-as-group), restored whole
}

type worker struct {
	linked   string
	flags    []savedFlag
	caps     common.Capabilities
	noColor  bool
	logger   *slog.Logger
	unusable string // why every request is unsupported, when set-up could not vouch for the state
}

func newWorker(linked string) *worker {
	w := &worker{linked: linked, noColor: color.NoColor, logger: slog.Default()}
	helmVersionStamp = linked
	// DefaultCapabilities was built at init, before the stamp above: give it the CLI's version too
	w.caps = *common.DefaultCapabilities
	w.caps.HelmVersion.Version = linked
	w.caps.APIVersions = slices.Clone(w.caps.APIVersions)
	// a throwaway root command, only to reach the settings' flags; what it prints is not an answer
	c, err := startCapture()
	if err != nil {
		w.unusable = "capture: " + err.Error()
		return w
	}
	root, err := helmcmd.NewRootCmd(os.Stdout, nil, func(bool) {})
	c.stop(w.logger)
	if err != nil {
		w.unusable = "helm's root command could not be set up: " + err.Error()
		return w
	}
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		s := savedFlag{flag: f, value: f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			s.slice = slices.Clone(sv.GetSlice())
		}
		w.flags = append(w.flags, s)
	})
	return w
}

func (w *worker) serve(line []byte) answer {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return answer{ID: -1, Unsupported: "bad request: " + err.Error()}
	}
	switch {
	case w.unusable != "":
		return answer{ID: req.ID, Unsupported: w.unusable}
	case req.Engine != "helm":
		return answer{ID: req.ID, Unsupported: "unknown engine " + req.Engine}
	case len(req.Args) == 0 || req.Args[0] != "template":
		return answer{ID: req.ID, Unsupported: "only `helm template` is served"}
	}
	if req.Cwd != "" {
		// the CLI runs in the fleet root; relative paths resolve against it
		if err := os.Chdir(req.Cwd); err != nil {
			return answer{ID: req.ID, Unsupported: "chdir: " + err.Error()}
		}
	}
	c, err := startCapture()
	if err != nil {
		return answer{ID: req.ID, Unsupported: "capture: " + err.Error()}
	}
	w.reset()
	code, why := w.run(req.Args)
	// Helm's install path (behind `template`) calls signal.Notify for SIGINT/SIGTERM and never stops:
	// undo it, so the worker still dies of a signal as a fresh process would
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	stdout, stderr := c.stop(w.logger)
	if why != "" {
		return answer{ID: req.ID, Unsupported: why}
	}
	a := answer{ID: req.ID, ExitCode: code, Stdout: stdout, Stderr: stderr}
	if req.Values && code == 0 {
		a.Values = values.Of(stdout)
	}
	return a
}

// build is .Capabilities.HelmVersion as `helm version --template` prints its first four fields.
func (w *worker) build() string {
	v := w.caps.HelmVersion
	return fmt.Sprintf("%s %s %s %s", v.Version, v.GitCommit, v.GitTreeState, v.GoVersion)
}

// reset puts the process-wide state back to what a fresh helm process has.
func (w *worker) reset() {
	cobraInitializers, cobraFinalizers = nil, nil
	clear(cobraFlagCompletions)
	warnedURNs.Clear()
	for _, s := range w.flags {
		if s.slice != nil {
			if sv := s.flag.Value.(pflag.SliceValue); !slices.Equal(sv.GetSlice(), s.slice) {
				_ = sv.Replace(slices.Clone(s.slice))
			}
		} else if s.flag.Value.String() != s.value {
			_ = s.flag.Value.Set(s.value)
		}
	}
	// `helm template` appends --api-versions to DefaultCapabilities' slice: a full slice makes that
	// append copy, so no request writes into the array the next one starts from
	caps := w.caps
	caps.APIVersions = slices.Clip(slices.Clone(w.caps.APIVersions))
	common.DefaultCapabilities = &caps
	color.NoColor = w.noColor
	// before Helm's SetupLogging runs, slog and log write as in a fresh process (to the capture pipe)
	slog.SetDefault(w.logger)
	log.SetFlags(log.LstdFlags)
	log.SetPrefix("")
	log.SetOutput(os.Stderr)
}

// run is cmd/helm/helm.go's main for one argv: the exit code it would give, or why it cannot stand in.
func (w *worker) run(args []string) (code int, why string) {
	defer func() {
		// a Go panic would crash the CLI with a trace: let kiln run the CLI and report that
		if r := recover(); r != nil {
			code, why = 0, fmt.Sprintf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	cmd, err := helmcmd.NewRootCmd(os.Stdout, args, helmcmd.SetupLogging)
	if err != nil {
		// the CLI reports this through a timestamped log line: leave it to the CLI
		return 0, "helm's root command could not be set up: " + err.Error()
	}
	if why := w.leaked(cmd); why != "" {
		return 0, why
	}
	cmd.SetArgs(args) // the CLI's cobra reads os.Args[1:]
	if err := cmd.Execute(); err != nil {
		var ce helmcmd.CommandError
		if errors.As(err, &ce) {
			return ce.ExitCode, ""
		}
		return 1, ""
	}
	return 0, ""
}

// leaked says which of the fresh root command's settings flags did not start from a fresh process's
// value (their defaults are the settings as they were when the command was built).
func (w *worker) leaked(cmd *cobra.Command) string {
	for _, s := range w.flags {
		f := cmd.PersistentFlags().Lookup(s.flag.Name)
		if f == nil || f.DefValue != s.flag.DefValue {
			return fmt.Sprintf("helm setting --%s leaked from an earlier request", s.flag.Name)
		}
	}
	return ""
}
