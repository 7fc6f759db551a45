// Package values gives the documents of a tool's output (a kustomize build, a helm template) as values,
// so kiln need not parse the YAML a render worker hands it again (its reader in Node is the slowest part
// of a render's round trip). Shared by the kustomize and helm workers.
//
// They are read by go-yaml v2, the reader inside sigs.k8s.io/yaml that kiln's own reader follows
// (src/manifests/k8s-yaml.ts), with each mapping's keys in document order, and written as JSON. Of
// declines (nil) whatever JSON cannot carry exactly as kiln reads it, and kiln then parses the text as
// before: anchors, aliases, merge keys, tags and directives (checked on the text, conservatively), a
// key that is not a string, an integer beyond ±(2^53-1), a float that is not finite, a document that
// is not a non-empty mapping.
package values

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v2"
)

const maxExact = 1<<53 - 1

// Of is the documents of text as a JSON array, or nil when they cannot be given exactly (above).
func Of(text string) json.RawMessage {
	if !plainStream(text) {
		return nil
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	var buf bytes.Buffer
	buf.Grow(len(text) + len(text)/4)
	buf.WriteByte('[')
	for n := 0; ; n++ {
		var doc yaml.MapSlice
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil || len(doc) == 0 {
			return nil
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		if !writeValue(&buf, doc) {
			return nil
		}
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

// plainStream: no token that could start an anchor, alias, tag or directive, and no merge key. A
// scalar that merely contains such a character after a space declines too; that only costs speed.
func plainStream(s string) bool {
	if strings.Contains(s, "<<") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&', '*', '!':
			if i == 0 {
				return false
			}
			switch s[i-1] {
			case ' ', '\t', '\n', '\r', '[', '{', ',', '-', '?', ':':
				return false
			}
		case '%':
			if i == 0 || s[i-1] == '\n' {
				return false
			}
		}
	}
	return true
}

func writeValue(buf *bytes.Buffer, v interface{}) bool {
	switch t := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(t))
	case string:
		return writeString(buf, t)
	case int:
		if t > maxExact || t < -maxExact {
			return false
		}
		buf.WriteString(strconv.Itoa(t))
	case int64:
		if t > maxExact || t < -maxExact {
			return false
		}
		buf.WriteString(strconv.FormatInt(t, 10))
	case uint64:
		if t > maxExact {
			return false
		}
		buf.WriteString(strconv.FormatUint(t, 10))
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return false
		}
		// the shortest text that reads back as this float64; JSON takes Go's exponent form, and -0 stays -0
		buf.Write(strconv.AppendFloat(nil, t, 'g', -1, 64))
	case []interface{}:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			if !writeValue(buf, e) {
				return false
			}
		}
		buf.WriteByte(']')
	case yaml.MapSlice:
		buf.WriteByte('{')
		for i, item := range t {
			k, ok := item.Key.(string)
			if !ok {
				return false
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			if !writeString(buf, k) {
				return false
			}
			buf.WriteByte(':')
			if !writeValue(buf, item.Value) {
				return false
			}
		}
		buf.WriteByte('}')
	default:
		return false
	}
	return true
}

func writeString(buf *bytes.Buffer, s string) bool {
	b, err := json.Marshal(s)
	if err != nil {
		return false
	}
	buf.Write(b)
	return true
}
