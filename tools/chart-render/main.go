// chart-render renders a Helm chart the way `helm template` does, for machines where no
// helm binary can be installed. It uses the same template engine (Go text/template with
// sprig) and re-implements the few functions and objects Helm adds: .Values (chart
// values coalesced with -f files and --set), .Release, .Chart, .Capabilities, .Template,
// .Files.Get, and the functions include, tpl, required, toYaml, fromYaml(Array),
// toJson, fromJson(Array) and lookup (always empty, as in `helm template`).
//
// It builds offline against Debian's Go packages in GOPATH mode (no go.mod on purpose:
// Debian ships sprig as github.com/Masterminds/sprig without module metadata for its
// dependencies):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go build -o build/chart-render ./tools/chart-render
//
// Usage:
//
//	chart-render [-f values.yaml]... [--set a.b=v]... [--name R] [--namespace N] [--notes] CHART_DIR
//
// Writes the rendered manifests to stdout, each preceded by `---` and a `# Source:` line
// (as Helm does); with --notes, writes the rendered NOTES.txt instead. On a template
// error (including `required` and `fail`) prints `Error: ...` on stderr and exits 1.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

// chartMetadata mirrors the Chart.yaml fields of Helm's chart.Metadata (apiVersion v2);
// templates read them as .Chart.Name, .Chart.Version, .Chart.AppVersion, ...
type chartMetadata struct {
	APIVersion   string            `yaml:"apiVersion"`
	Name         string            `yaml:"name"`
	Version      string            `yaml:"version"`
	KubeVersion  string            `yaml:"kubeVersion"`
	Description  string            `yaml:"description"`
	Type         string            `yaml:"type"`
	Keywords     []string          `yaml:"keywords"`
	Home         string            `yaml:"home"`
	Sources      []string          `yaml:"sources"`
	Maintainers  []map[string]any  `yaml:"maintainers"`
	Icon         string            `yaml:"icon"`
	AppVersion   string            `yaml:"appVersion"`
	Deprecated   bool              `yaml:"deprecated"`
	Annotations  map[string]string `yaml:"annotations"`
	Dependencies []map[string]any  `yaml:"dependencies"`
}

// files is .Files: every chart file outside templates/, read by .Files.Get.
type files map[string][]byte

// Get returns the file's content, or "" when there is none (as Helm does).
func (f files) Get(name string) string { return string(f[name]) }

// apiVersions is .Capabilities.APIVersions.
type apiVersions []string

// Has says whether a group/version (or group/version/Kind) is available.
func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

type kubeVersion struct {
	Version, Major, Minor string
}

func (k kubeVersion) String() string { return k.Version }

type capabilities struct {
	KubeVersion kubeVersion
	APIVersions apiVersions
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var valueFiles, sets, apis multiFlag
	flag.Var(&valueFiles, "f", "values file (repeatable; later files win)")
	flag.Var(&valueFiles, "values", "same as -f")
	flag.Var(&sets, "set", "a.b.c=value (repeatable; after the values files)")
	flag.Var(&apis, "api-versions", "extra .Capabilities.APIVersions entry (repeatable)")
	name := flag.String("name", "vigil", "release name (.Release.Name)")
	namespace := flag.String("namespace", "default", "release namespace (.Release.Namespace)")
	kube := flag.String("kube-version", "v1.28.0", ".Capabilities.KubeVersion")
	notes := flag.Bool("notes", false, "render NOTES.txt instead of the manifests")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: chart-render [-f values.yaml]... [--set a.b=v]... [--name R] [--namespace N] [--notes] CHART_DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	out, err := render(flag.Arg(0), options{
		valueFiles: valueFiles, sets: sets, apiVersions: apis,
		release: *name, namespace: *namespace, kubeVersion: *kube, notes: *notes,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(out)
}

type options struct {
	valueFiles, sets, apiVersions []string
	release, namespace            string
	kubeVersion                   string
	notes                         bool
}

func render(chartDir string, opt options) (string, error) {
	meta, err := loadChart(chartDir)
	if err != nil {
		return "", err
	}
	values, err := readValues(filepath.Join(chartDir, "values.yaml"), true)
	if err != nil {
		return "", err
	}
	for _, f := range opt.valueFiles {
		user, err := readValues(f, false)
		if err != nil {
			return "", err
		}
		values = coalesce(user, values)
	}
	for _, s := range opt.sets {
		if err := applySet(values, s); err != nil {
			return "", err
		}
	}
	chartFiles, templates, err := readChartFiles(chartDir, meta.Name)
	if err != nil {
		return "", err
	}
	major, minor := splitKubeVersion(opt.kubeVersion)
	top := map[string]any{
		"Values": values,
		"Chart":  meta,
		"Release": map[string]any{
			"Name": opt.release, "Namespace": opt.namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": capabilities{
			KubeVersion: kubeVersion{Version: opt.kubeVersion, Major: major, Minor: minor},
			APIVersions: append(apiVersions{"v1", "apps/v1", "policy/v1"}, opt.apiVersions...),
		},
		"Files": chartFiles,
	}
	return execute(templates, top, meta.Name, opt.notes)
}

func loadChart(dir string) (*chartMetadata, error) {
	file := filepath.Join(dir, "Chart.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var meta chartMetadata
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&meta); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	switch {
	case meta.APIVersion != "v2":
		return nil, fmt.Errorf("%s: apiVersion must be v2", file)
	case meta.Name == "":
		return nil, fmt.Errorf("%s: name is required", file)
	case !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(meta.Version):
		return nil, fmt.Errorf("%s: version %q is not SemVer 2", file, meta.Version)
	}
	return &meta, nil
}

// readValues reads a values file the way Helm does: YAML turned into JSON types, so
// numbers are float64 (a template printing a large number gets Helm's formatting).
func readValues(file string, chartDefaults bool) (map[string]any, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if chartDefaults && errors.Is(err, fs.ErrNotExist) {
			return map[string]any{}, nil
		}
		return nil, err
	}
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if raw == nil {
		return map[string]any{}, nil
	}
	asJSON, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	var m map[string]any
	if err := json.Unmarshal(asJSON, &m); err != nil {
		return nil, fmt.Errorf("%s: the top level must be a mapping", file)
	}
	return m, nil
}

// coalesce merges `over` onto `base` like Helm: maps merge key by key, any other value
// replaces, and a null in `over` deletes the key.
func coalesce(over, base map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		om, oIsMap := v.(map[string]any)
		bm, bIsMap := out[k].(map[string]any)
		if oIsMap && bIsMap {
			out[k] = coalesce(om, bm)
		} else {
			out[k] = v
		}
	}
	return out
}

// applySet applies one `a.b.c=value`: value null deletes, true/false are booleans,
// integers are int64 (as Helm's --set gives them), anything else a string.
func applySet(values map[string]any, expr string) error {
	eq := strings.IndexByte(expr, '=')
	if eq <= 0 {
		return fmt.Errorf("--set %q: expected key=value", expr)
	}
	keys := strings.Split(expr[:eq], ".")
	raw := expr[eq+1:]
	var v any = raw
	switch {
	case raw == "null":
		v = nil
	case raw == "true" || raw == "false":
		v = raw == "true"
	default:
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			v = n
		}
	}
	m := values
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	last := keys[len(keys)-1]
	if v == nil {
		delete(m, last)
	} else {
		m[last] = v
	}
	return nil
}

// readChartFiles returns .Files (everything outside templates/) and the templates by
// their Helm names ("<chart>/templates/<file>").
func readChartFiles(dir, chartName string) (files, map[string]string, error) {
	all := files{}
	templates := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			templates[path.Join(chartName, rel)] = string(data)
		} else {
			all[rel] = data
		}
		return nil
	})
	return all, templates, err
}

func splitKubeVersion(v string) (string, string) {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return parts[0], "0"
	}
	return parts[0], parts[1]
}

// execute parses every template into one set (so `define`s are shared, as in Helm) and
// renders the manifests, or NOTES.txt.
func execute(sources map[string]string, top map[string]any, chartName string, notes bool) (string, error) {
	root := template.New("gotpl")
	funcs := helmFuncs(root)
	root.Funcs(funcs).Option("missingkey=zero")
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := root.New(n).Parse(sources[n]); err != nil {
			return "", cleanError(err)
		}
	}
	notesName := path.Join(chartName, "templates", "NOTES.txt")
	var out strings.Builder
	for _, n := range names {
		base := path.Base(n)
		isNotes := n == notesName
		if notes != isNotes || strings.HasPrefix(base, "_") {
			continue
		}
		if !isNotes && !strings.HasSuffix(base, ".yaml") && !strings.HasSuffix(base, ".yml") &&
			!strings.HasSuffix(base, ".tpl") && !strings.HasSuffix(base, ".txt") {
			continue
		}
		if strings.HasSuffix(base, ".tpl") {
			continue // partials only
		}
		data := map[string]any{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]any{"Name": n, "BasePath": path.Join(chartName, "templates")}
		var buf strings.Builder
		if err := root.ExecuteTemplate(&buf, n, data); err != nil {
			return "", cleanError(err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if isNotes {
			out.WriteString(text)
			continue
		}
		// One template may hold several documents; each gets its own header (as Helm's
		// SplitManifests does), and empty ones are dropped.
		for _, doc := range docSeparator.Split(text, -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", n, strings.Trim(doc, "\n"))
		}
	}
	return out.String(), nil
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// helmFuncs is sprig minus env/expandenv plus Helm's own functions.
func helmFuncs(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	depth := map[string]int{}
	f["include"] = func(name string, data any) (string, error) {
		if depth[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		depth[name]++
		defer func() { depth[name]-- }()
		var buf strings.Builder
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data any) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf strings.Builder
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	f["required"] = func(msg string, v any) (any, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	f["toYaml"] = toYAML
	f["fromYaml"] = func(s string) map[string]any {
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["toJson"] = func(v any) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	f["fromJson"] = func(s string) map[string]any {
		m := map[string]any{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromYamlArray"] = func(s string) []any {
		var a []any
		if err := yaml.Unmarshal([]byte(s), &a); err != nil {
			return []any{err.Error()}
		}
		return a
	}
	f["fromJsonArray"] = func(s string) []any {
		var a []any
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			return []any{err.Error()}
		}
		return a
	}
	f["lookup"] = func(string, string, string, string) (map[string]any, error) {
		return map[string]any{}, nil
	}
	return f
}

// toYAML is Helm's toYaml: it goes through JSON (sigs.k8s.io/yaml), so map keys come
// out sorted and a whole float64 such as 17422590 prints as an integer (yaml.v3 alone
// would write 1.742259e+07, which no integer field accepts).
func toYAML(v any) string {
	asJSON, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var node yaml.Node
	if err := yaml.Unmarshal(asJSON, &node); err != nil {
		return ""
	}
	plainStyle(&node)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// plainStyle drops the JSON quoting and flow style the parse recorded; the encoder then
// quotes only the strings that need it (those that would read back as another type).
func plainStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plainStyle(c)
	}
}

// cleanError turns text/template's
//
//	template: T: executing "T" at <required "msg" .x>: error calling required: msg
//
// into Helm's `execution error at (T): msg`.
var execErr = regexp.MustCompile(`^template: ([^ ]+): executing "[^"]*" at <.*?>: error calling [a-zA-Z]+: (.*)$`)

func cleanError(err error) error {
	msg := err.Error()
	// An error from an included template is wrapped once per include level.
	for {
		m := execErr.FindStringSubmatch(msg)
		if m == nil {
			break
		}
		inner := m[2]
		if !strings.HasPrefix(inner, "template: ") {
			return fmt.Errorf("execution error at (%s): %s", strings.TrimSuffix(m[1], ":"), inner)
		}
		msg = inner
	}
	return errors.New(msg)
}
