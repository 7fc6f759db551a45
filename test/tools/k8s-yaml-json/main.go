// k8s-yaml-json reads a YAML stream on stdin the way Kubernetes does (documents split on "---"
// lines as k8s.io/apimachinery's YAMLReader splits them, each converted by sigs.k8s.io/yaml, the
// reader behind kubectl, the API machinery, Helm's values files, Flux and Argo CD) and prints a JSON
// array with one element per document, numbers exactly as that reader wrote them.
// kiln's tests compare its own YAML reading with this, value by value.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	docs := split(in)
	out := make([]json.RawMessage, 0, len(docs))
	for i, d := range docs {
		j, err := yaml.YAMLToJSON(d)
		if err != nil {
			fail(fmt.Errorf("document %d: %w", i+1, err))
		}
		out = append(out, json.RawMessage(j))
	}
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fail(err)
	}
	if err := w.Flush(); err != nil {
		fail(err)
	}
}

// split cuts at lines that are "---" followed by nothing but spaces, as the API machinery does.
func split(in []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	for _, line := range bytes.SplitAfter(in, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("---")) && strings.TrimSpace(string(line[3:])) == "" {
			docs = append(docs, bytes.Clone(cur.Bytes()))
			cur.Reset()
			continue
		}
		cur.Write(line)
	}
	if cur.Len() > 0 || len(docs) == 0 {
		docs = append(docs, cur.Bytes())
	}
	return docs
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "k8s-yaml-json:", err)
	os.Exit(1)
}
