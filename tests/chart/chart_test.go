// The Helm chart's test: renders charts/vigil with build/chart-render (helm template's
// engine) for the default values and several value sets, parses every document as YAML
// and checks the objects, and checks that missing required values fail with a message
// naming the value. Run by `make chart-test`:
//
//	CHART_RENDER=build/chart-render VIGIL_BIN=build/vigil \
//	  GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go test -count=1 ./tests/chart/
//
// With VIGIL_BIN set, every rendered config file also passes `vigil config check`.
package chart

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var (
	repoRoot  = filepath.Join("..", "..")
	chartDir  = filepath.Join(repoRoot, "charts", "vigil")
	renderBin = envOr("CHART_RENDER", filepath.Join(repoRoot, "build", "chart-render"))
)

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// obj is one rendered Kubernetes object, walked with get("a.b[0].c").
type obj map[string]any

type rendered struct {
	objs []obj
}

func (r rendered) find(kind, name string) obj {
	for _, o := range r.objs {
		if o.str("kind") == kind && o.str("metadata.name") == name {
			return o
		}
	}
	return nil
}

func (r rendered) kinds() []string {
	var out []string
	for _, o := range r.objs {
		out = append(out, o.str("kind")+"/"+o.str("metadata.name"))
	}
	sort.Strings(out)
	return out
}

var pathPart = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

func (o obj) get(path string) any {
	var cur any = map[string]any(o)
	for _, m := range pathPart.FindAllStringSubmatch(path, -1) {
		switch c := cur.(type) {
		case map[string]any:
			if m[1] == "" {
				return nil
			}
			cur = c[m[1]]
		case []any:
			var i int
			if m[2] == "" {
				return nil
			}
			fmt.Sscan(m[2], &i)
			if i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func (o obj) str(path string) string {
	v := o.get(path)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (o obj) list(path string) []any {
	l, _ := o.get(path).([]any)
	return l
}

func (o obj) m(path string) obj {
	mm, _ := o.get(path).(map[string]any)
	return obj(mm)
}

// writeValues writes a values file for one case.
func writeValues(t *testing.T, yamlText string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(f, []byte(yamlText), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(renderBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// render renders the chart with the given values (YAML text, "" for none) and extra
// flags, and parses the output; any failure stops the test.
func render(t *testing.T, values string, flags ...string) rendered {
	t.Helper()
	args := append([]string{}, flags...)
	if values != "" {
		args = append(args, "-f", writeValues(t, values))
	}
	out, stderr, err := run(t, append(args, chartDir)...)
	if err != nil {
		t.Fatalf("render failed: %v\n%s", err, stderr)
	}
	var r rendered
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("rendered output is not YAML: %v\n%s", err, out)
		}
		if doc == nil {
			continue
		}
		r.objs = append(r.objs, obj(doc))
	}
	if len(r.objs) == 0 {
		t.Fatalf("rendered nothing")
	}
	return r
}

// renderFails renders and expects an error whose message contains `want`.
func renderFails(t *testing.T, values, want string) {
	t.Helper()
	out, stderr, err := run(t, "-f", writeValues(t, values), chartDir)
	if err == nil {
		t.Fatalf("rendering succeeded, want an error containing %q; output:\n%s", want, out)
	}
	if !strings.Contains(stderr, want) {
		t.Fatalf("error %q does not contain %q", stderr, want)
	}
	if !strings.HasPrefix(stderr, "Error: execution error at (vigil/templates/") {
		t.Errorf("error does not name the template position the way helm does: %q", stderr)
	}
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("error is not one line: %q", stderr)
	}
}

// --- checks shared by every case ---------------------------------------------------

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func checkCommon(t *testing.T, r rendered, release, namespace string) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range r.objs {
		id := o.str("kind") + "/" + o.str("metadata.name")
		if o.str("apiVersion") == "" || o.str("kind") == "" {
			t.Errorf("%s: no apiVersion or kind", id)
		}
		if seen[id] {
			t.Errorf("%s rendered twice", id)
		}
		seen[id] = true
		name := o.str("metadata.name")
		if len(name) > 63 || !dns1123.MatchString(name) {
			t.Errorf("%s: name is not a DNS-1123 label", id)
		}
		if o.str("metadata.namespace") != namespace {
			t.Errorf("%s: namespace %q, want %q", id, o.str("metadata.namespace"), namespace)
		}
		if o.m("metadata.labels")["app.kubernetes.io/instance"] != release {
			t.Errorf("%s: no app.kubernetes.io/instance=%s label", id, release)
		}
	}
}

func labelsMatch(selector, labels obj) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// configOf returns the config file a component's pod reads, parsed, and its text.
func configOf(t *testing.T, r rendered, fullname, component string) (obj, string) {
	t.Helper()
	cm := r.find("ConfigMap", fullname+"-config")
	key := "data"
	if cm == nil {
		cm = r.find("Secret", fullname+"-config")
		key = "stringData"
	}
	if cm == nil {
		t.Fatalf("no ConfigMap or Secret %s-config", fullname)
	}
	text, _ := cm.m(key)[component+".yaml"].(string)
	if text == "" {
		t.Fatalf("%s-config has no %s.yaml", fullname, component)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
		t.Fatalf("%s.yaml is not YAML: %v", component, err)
	}
	return obj(cfg), text
}

// checkComponent checks one component's StatefulSet, Service, PDB and config.
func checkComponent(t *testing.T, r rendered, fullname, component string) (sts obj, cfg obj) {
	t.Helper()
	name := fullname + "-" + component
	sts = r.find("StatefulSet", name)
	if sts == nil {
		t.Fatalf("no StatefulSet %s (have %v)", name, r.kinds())
	}
	if sts.str("spec.replicas") != "1" {
		t.Errorf("%s: replicas %s, want 1 (single-writer store)", name, sts.str("spec.replicas"))
	}
	podLabels := sts.m("spec.template.metadata.labels")
	if !labelsMatch(sts.m("spec.selector.matchLabels"), podLabels) {
		t.Errorf("%s: selector does not match the pod labels", name)
	}
	if podLabels["app.kubernetes.io/component"] != component {
		t.Errorf("%s: pod label component=%v", name, podLabels["app.kubernetes.io/component"])
	}
	pod := sts.m("spec.template.spec")
	if pod.str("securityContext.runAsNonRoot") != "true" {
		t.Errorf("%s: pod securityContext.runAsNonRoot is not true", name)
	}
	if uid := pod.str("securityContext.runAsUser"); uid == "" || uid == "0" {
		t.Errorf("%s: runAsUser %q", name, uid)
	}
	if pod.str("automountServiceAccountToken") != "false" {
		t.Errorf("%s: the service account token is mounted", name)
	}
	containers := pod.list("containers")
	if len(containers) != 1 {
		t.Fatalf("%s: %d containers", name, len(containers))
	}
	c := obj(containers[0].(map[string]any))
	for path, want := range map[string]string{
		"securityContext.readOnlyRootFilesystem":   "true",
		"securityContext.allowPrivilegeEscalation": "false",
		"securityContext.runAsNonRoot":             "true",
		"securityContext.capabilities.drop[0]":     "ALL",
		"livenessProbe.httpGet.path":               "/healthz",
		"readinessProbe.httpGet.path":              "/readyz",
		"startupProbe.httpGet.path":                "/healthz",
		"livenessProbe.httpGet.port":               "metrics",
		"readinessProbe.httpGet.port":              "metrics",
		"ports[0].name":                            "metrics",
	} {
		if got := c.str(path); got != want {
			t.Errorf("%s: container %s = %q, want %q", name, path, got, want)
		}
	}
	if c.str("resources.requests.cpu") == "" || c.str("resources.requests.memory") == "" {
		t.Errorf("%s: no resource requests", name)
	}
	wantCmd := map[string]string{"relayer": "relay", "verifier": "verify"}[component]
	args := c.list("args")
	if len(args) < 3 || args[0] != wantCmd || args[1] != "--config" {
		t.Fatalf("%s: args %v, want [%s --config FILE ...]", name, args, wantCmd)
	}
	configPath := fmt.Sprint(args[2])

	// The config file is mounted where --config points, from the rendered config.
	mounts := map[string]obj{}
	for _, m := range c.list("volumeMounts") {
		mm := obj(m.(map[string]any))
		mounts[mm.str("mountPath")] = mm
	}
	volumes := map[string]obj{}
	for _, v := range pod.list("volumes") {
		vv := obj(v.(map[string]any))
		volumes[vv.str("name")] = vv
	}
	cm := mounts[configPath]
	if cm == nil || cm.str("subPath") != component+".yaml" {
		t.Errorf("%s: %s is not mounted from %s.yaml", name, configPath, component)
	} else if v := volumes[cm.str("name")]; v == nil ||
		(v.str("configMap.name") != fullname+"-config" && v.str("secret.secretName") != fullname+"-config") {
		t.Errorf("%s: the config volume is not %s-config", name, fullname)
	}
	cfg, _ = configOf(t, r, fullname, component)

	// The store lives on the mounted volume; metrics listen on the probed port.
	storePath := cfg.str("store.path")
	storeMounted := false
	for p, m := range mounts {
		if strings.HasPrefix(storePath+"/", strings.TrimSuffix(p, "/")+"/") && m.str("name") == "store" {
			storeMounted = true
		}
	}
	if !storeMounted {
		t.Errorf("%s: store.path %q is not on the store volume", name, storePath)
	}
	port := c.str("ports[0].containerPort")
	if cfg.str("metrics.listen") != "0.0.0.0:"+port {
		t.Errorf("%s: metrics.listen %q, container port %s", name, cfg.str("metrics.listen"), port)
	}
	if mounts["/tmp"] == nil {
		t.Errorf("%s: no writable /tmp beside the read-only root", name)
	}

	// Every signer in the config is a mounted Secret holding its two files.
	for signer, s := range cfg.m("signers") {
		so := obj(s.(map[string]any))
		for _, f := range []string{so.str("keystore"), so.str("password_file")} {
			dir, file := filepath.Dir(f), filepath.Base(f)
			m := mounts[dir]
			if m == nil || m.str("readOnly") != "true" {
				t.Errorf("%s: signer %s: %s is not a read-only mount", name, signer, dir)
				continue
			}
			v := volumes[m.str("name")]
			found := false
			for _, it := range v.list("secret.items") {
				if obj(it.(map[string]any)).str("path") == file {
					found = true
				}
			}
			if v.str("secret.secretName") == "" || !found {
				t.Errorf("%s: signer %s: %s is not from a Secret item", name, signer, f)
			}
		}
	}

	svc := r.find("Service", name)
	if svc == nil {
		t.Fatalf("no Service %s", name)
	}
	if sts.str("spec.serviceName") != name {
		t.Errorf("%s: serviceName %q", name, sts.str("spec.serviceName"))
	}
	if !labelsMatch(svc.m("spec.selector"), podLabels) {
		t.Errorf("Service %s does not select the pods", name)
	}
	if svc.str("spec.ports[0].name") != "metrics" || svc.str("spec.ports[0].port") != port {
		t.Errorf("Service %s: port %s/%s, want metrics/%s", name,
			svc.str("spec.ports[0].name"), svc.str("spec.ports[0].port"), port)
	}
	if pdb := r.find("PodDisruptionBudget", name); pdb != nil &&
		!labelsMatch(pdb.m("spec.selector.matchLabels"), podLabels) {
		t.Errorf("PodDisruptionBudget %s does not select the pods", name)
	}
	return sts, cfg
}

// configCheck runs `vigil config check` on each component's rendered config.
func configCheck(t *testing.T, r rendered, fullname string, components ...string) {
	t.Helper()
	vigil := os.Getenv("VIGIL_BIN")
	if vigil == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("VIGIL_BIN is not set: cannot run vigil config check on the rendered configs")
		}
		t.Logf("VIGIL_BIN not set: rendered configs not checked by vigil config check")
		return
	}
	for _, c := range components {
		_, text := configOf(t, r, fullname, c)
		f := filepath.Join(t.TempDir(), c+".yaml")
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(vigil, "config", "check", "--config", f).CombinedOutput()
		if err != nil {
			t.Errorf("vigil config check rejects the rendered %s.yaml: %s\n%s", c, out, text)
		}
	}
}

func absent(t *testing.T, r rendered, kind, name string) {
	t.Helper()
	if r.find(kind, name) != nil {
		t.Errorf("%s/%s rendered, want none", kind, name)
	}
}

// --- cases -----------------------------------------------------------------------------

func TestDefaultValues(t *testing.T) {
	r := render(t, "")
	checkCommon(t, r, "vigil", "default")
	want := []string{
		"ConfigMap/vigil-config", "PodDisruptionBudget/vigil-relayer",
		"PodDisruptionBudget/vigil-verifier", "Service/vigil-relayer", "Service/vigil-verifier",
		"ServiceAccount/vigil", "StatefulSet/vigil-relayer", "StatefulSet/vigil-verifier",
	}
	if got := r.kinds(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("objects:\n got %v\nwant %v", got, want)
	}
	for _, c := range []string{"relayer", "verifier"} {
		sts, cfg := checkComponent(t, r, "vigil", c)
		if img := sts.str("spec.template.spec.containers[0].image"); img != "vigil:0.1.0" {
			t.Errorf("%s image %q, want vigil:<appVersion>", c, img)
		}
		if sts.str("spec.volumeClaimTemplates[0].metadata.name") != "store" ||
			sts.str("spec.volumeClaimTemplates[0].spec.resources.requests.storage") == "" {
			t.Errorf("%s: no store PersistentVolumeClaim", c)
		}
		// The values' config goes through unchanged (integers stay integers).
		if cfg.str("chains[0].start_block") != "17422590" || cfg.str("chains[0].chain_id") != "1" {
			t.Errorf("%s: chains[0] = %v", c, cfg.get("chains[0]"))
		}
		if cfg.str("verifier.rollups[1].dispute_game_factory") != "0x43edB88C4B80fDD2AdFF2412A7BebF9dF42cB40e" {
			t.Errorf("%s: rollup addresses changed: %v", c, cfg.get("verifier.rollups"))
		}
	}
	configCheck(t, r, "vigil", "relayer", "verifier")

	notes, stderr, err := run(t, "--notes", chartDir)
	if err != nil {
		t.Fatalf("NOTES.txt: %v %s", err, stderr)
	}
	for _, want := range []string{"statefulset/vigil-verifier", "placeholder RPC endpoints", "the relayer has no signer",
		"config.relayer.routes is empty"} {
		if !strings.Contains(notes, want) {
			t.Errorf("NOTES.txt lacks %q:\n%s", want, notes)
		}
	}
}

const realChains = `
config:
  chains:
    - {name: l1, chain_id: 11155111, rpc: [https://sepolia.internal:8545], finality: finalized}
    - {name: op, chain_id: 11155420, rpc: https://op-sepolia.internal:8545, finality: safe}
  verifier:
    rollups:
      - name: op-sepolia
        l1_chain: l1
        l2_chain: op
        dispute_game_factory: "0x05F9613aDB30026FFd634f38e5C4dFd30a197Fa1"
        challenge: true
        signer: challenger
`

func TestVerifierOnly(t *testing.T) {
	r := render(t, realChains+`
relayer: {enabled: false}
signers:
  challenger: {existingSecret: challenger-key, components: [verifier]}
`)
	checkCommon(t, r, "vigil", "default")
	for _, kind := range []string{"StatefulSet", "Service", "PodDisruptionBudget"} {
		absent(t, r, kind, "vigil-relayer")
	}
	_, cfg := checkComponent(t, r, "vigil", "verifier")
	if cfg.str("signers.challenger.keystore") != "/etc/vigil/signers/challenger/keystore.json" ||
		cfg.str("verifier.rollups[0].challenge") != "true" {
		t.Errorf("verifier config: %v", cfg)
	}
	if cm := r.find("ConfigMap", "vigil-config"); cm.m("data")["relayer.yaml"] != nil {
		t.Errorf("the ConfigMap holds a relayer.yaml with the relayer disabled")
	}
	configCheck(t, r, "vigil", "verifier")

	notes, _, err := run(t, "--notes", "-f", writeValues(t, realChains+"relayer: {enabled: false}\n"), chartDir)
	if err != nil || strings.Contains(notes, "placeholder") || strings.Contains(notes, "relayer has no signer") {
		t.Errorf("NOTES.txt warns about what is configured (err %v):\n%s", err, notes)
	}
}

func TestRelayerOnly(t *testing.T) {
	r := render(t, realChains+`
verifier: {enabled: false}
signers:
  relayer: {existingSecret: relayer-key, keystoreKey: key.json, passwordKey: pw, components: [relayer]}
  challenger: {existingSecret: challenger-key, components: [verifier]}
`)
	checkCommon(t, r, "vigil", "default")
	for _, kind := range []string{"StatefulSet", "Service", "PodDisruptionBudget"} {
		absent(t, r, kind, "vigil-verifier")
	}
	sts, cfg := checkComponent(t, r, "vigil", "relayer")
	if cfg.str("signers.relayer.keystore") != "/etc/vigil/signers/relayer/key.json" ||
		cfg.str("signers.relayer.password_file") != "/etc/vigil/signers/relayer/pw" {
		t.Errorf("relayer signer paths: %v", cfg.get("signers"))
	}
	if cfg.get("signers.challenger") != nil {
		t.Errorf("the relayer got the verifier's challenger key")
	}
	// Only the verifier challenges: the relayer's copy of the rollups has no challenge.
	if cfg.get("verifier.rollups[0].challenge") != nil || cfg.get("verifier.rollups[0].signer") != nil {
		t.Errorf("relayer config keeps challenge/signer: %v", cfg.get("verifier.rollups[0]"))
	}
	secrets := []string{}
	for _, v := range sts.list("spec.template.spec.volumes") {
		if s := obj(v.(map[string]any)).str("secret.secretName"); s != "" {
			secrets = append(secrets, s)
		}
	}
	if strings.Join(secrets, ",") != "relayer-key" {
		t.Errorf("relayer pod mounts Secrets %v, want [relayer-key]", secrets)
	}
	configCheck(t, r, "vigil", "relayer")
}

const monitoringValues = realChains + `
signers:
  relayer: {existingSecret: relayer-key, components: [relayer]}
  challenger: {existingSecret: challenger-key, components: [verifier]}
metrics:
  serviceMonitor: {enabled: true, labels: {release: prometheus}, interval: 15s}
  prometheusRule:
    enabled: true
    labels: {release: prometheus}
    chainLagBlocksByChain: {op: 600}
    signerBalanceLowEthBySigner: {challenger: 5}
    extraRules:
      - alert: VigilCustom
        expr: vigil_relayer_messages{state="ready"} > 1000
dashboard: {enabled: true}
`

func TestMonitoring(t *testing.T) {
	r := render(t, monitoringValues, "--name", "watch", "--namespace", "bridge")
	checkCommon(t, r, "watch", "bridge")
	full := "watch-vigil"
	for _, c := range []string{"relayer", "verifier"} {
		checkComponent(t, r, full, c)
	}
	configCheck(t, r, full, "relayer", "verifier")

	sm := r.find("ServiceMonitor", full)
	if sm == nil {
		t.Fatalf("no ServiceMonitor (have %v)", r.kinds())
	}
	if sm.str("metadata.labels.release") != "prometheus" || sm.str("spec.endpoints[0].port") != "metrics" ||
		sm.str("spec.endpoints[0].interval") != "15s" || sm.str("spec.namespaceSelector.matchNames[0]") != "bridge" {
		t.Errorf("ServiceMonitor: %v", sm)
	}
	for _, c := range []string{"relayer", "verifier"} {
		svc := r.find("Service", full+"-"+c)
		if !labelsMatch(sm.m("spec.selector.matchLabels"), svc.m("metadata.labels")) {
			t.Errorf("the ServiceMonitor does not select Service %s", svc.str("metadata.name"))
		}
	}

	rule := r.find("PrometheusRule", full)
	if rule == nil {
		t.Fatalf("no PrometheusRule")
	}
	contract := readContract(t)
	alerts := map[string][]string{}
	for _, g := range rule.list("spec.groups") {
		for _, ru := range obj(g.(map[string]any)).list("rules") {
			ro := obj(ru.(map[string]any))
			alerts[ro.str("alert")] = append(alerts[ro.str("alert")], ro.str("expr"))
			checkExpr(t, "alert "+ro.str("alert"), ro.str("expr"), contract)
			for k, v := range ro.m("annotations") {
				if s := fmt.Sprint(v); strings.Contains(s, ".Values") || strings.Contains(s, "<no value>") {
					t.Errorf("alert %s annotation %s has Helm leftovers: %s", ro.str("alert"), k, s)
				}
			}
			if ro.str("alert") != "VigilCustom" && ro.str("labels.severity") == "" {
				t.Errorf("alert %s has no severity", ro.str("alert"))
			}
		}
	}
	// The five alert classes, plus the ones that watch Vigil itself.
	for _, a := range []string{"VigilInvalidProposal", "VigilVerifierUnverifiable", "VigilRelayerQueueStuck",
		"VigilChainLagging", "VigilSignerBalanceLow", "VigilTargetDown", "VigilCustom"} {
		if len(alerts[a]) == 0 {
			t.Errorf("no alert %s (have %v)", a, alerts)
		}
	}
	// Per-signer and per-chain thresholds: the default rule leaves the overridden out.
	if b := alerts["VigilSignerBalanceLow"]; len(b) != 2 || !strings.Contains(b[0], `signer!~"challenger"`) ||
		!strings.Contains(b[0], "< 0.1") || !strings.Contains(b[1], `signer="challenger"`) || !strings.Contains(b[1], "< 5") {
		t.Errorf("VigilSignerBalanceLow rules: %q", b)
	}
	if l := alerts["VigilChainLagging"]; len(l) != 2 || !strings.Contains(l[0], `chain!~"op"`) || !strings.Contains(l[1], "> 600") {
		t.Errorf("VigilChainLagging rules: %q", l)
	}
	for _, e := range alerts["VigilInvalidProposal"] {
		if !strings.Contains(e, `namespace="bridge"`) || !strings.Contains(e, `service=~"watch-vigil-(relayer|verifier)"`) {
			t.Errorf("alert not scoped to the release: %s", e)
		}
	}

	// The dashboard ConfigMap holds the chart's JSON; its queries read contract metrics.
	cm := r.find("ConfigMap", full+"-dashboard")
	if cm == nil || cm.str("metadata.labels.grafana_dashboard") != "1" {
		t.Fatalf("no dashboard ConfigMap with the sidecar label")
	}
	var dash map[string]any
	dashText, _ := cm.m("data")["vigil.json"].(string)
	if err := json.Unmarshal([]byte(dashText), &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	exprs := 0
	for _, p := range obj(dash).list("panels") {
		for _, tg := range obj(p.(map[string]any)).list("targets") {
			checkExpr(t, "dashboard panel "+obj(p.(map[string]any)).str("title"), obj(tg.(map[string]any)).str("expr"), contract)
			exprs++
		}
	}
	if exprs < 8 {
		t.Errorf("dashboard has %d queries", exprs)
	}
}

func TestCustomValues(t *testing.T) {
	r := render(t, realChains+`
fullnameOverride: bridge-watch
configInSecret: true
image: {repository: registry.internal/vigil, digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
admin: {enabled: true, port: 9200, tokenSecret: {name: admin-token, key: t}}
metrics: {port: 9300}
signers:
  challenger: {existingSecret: challenger-key, components: [verifier, relayer]}
relayer:
  persistence: {enabled: false}
  resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: "1", memory: 128Mi}}
  extraArgs: [--log-level, debug]
verifier:
  persistence: {size: 100Gi, storageClass: fast-ssd}
  nodeSelector: {disk: ssd}
podDisruptionBudget: {maxUnavailable: 1}
`, "--namespace", "ops")
	checkCommon(t, r, "vigil", "ops")
	absent(t, r, "ConfigMap", "bridge-watch-config")
	sec := r.find("Secret", "bridge-watch-config")
	if sec == nil || sec.str("type") != "Opaque" {
		t.Fatalf("configInSecret: no Secret bridge-watch-config (have %v)", r.kinds())
	}
	relayer, rcfg := checkComponent(t, r, "bridge-watch", "relayer")
	verifier, vcfg := checkComponent(t, r, "bridge-watch", "verifier")
	rc := obj(relayer.list("spec.template.spec.containers")[0].(map[string]any))
	if rc.str("resources.requests.cpu") != "50m" || rc.str("resources.limits.memory") != "128Mi" {
		t.Errorf("relayer resources: %v", rc.get("resources"))
	}
	if a := rc.list("args"); len(a) != 5 || a[3] != "--log-level" || a[4] != "debug" {
		t.Errorf("relayer args: %v", a)
	}
	if !strings.HasPrefix(rc.str("image"), "registry.internal/vigil@sha256:") {
		t.Errorf("image %q does not use the digest", rc.str("image"))
	}
	if relayer.get("spec.volumeClaimTemplates") != nil {
		t.Errorf("relayer persistence disabled but it has a volumeClaimTemplate")
	}
	storeIsEmptyDir := false
	for _, v := range relayer.list("spec.template.spec.volumes") {
		if vo := obj(v.(map[string]any)); vo.str("name") == "store" && vo.get("emptyDir") != nil {
			storeIsEmptyDir = true
		}
	}
	if !storeIsEmptyDir {
		t.Errorf("relayer without persistence has no emptyDir store")
	}
	if verifier.str("spec.volumeClaimTemplates[0].spec.resources.requests.storage") != "100Gi" ||
		verifier.str("spec.volumeClaimTemplates[0].spec.storageClassName") != "fast-ssd" ||
		verifier.str("spec.template.spec.nodeSelector.disk") != "ssd" {
		t.Errorf("verifier persistence/nodeSelector: %v", verifier.get("spec"))
	}
	for _, c := range []struct {
		name string
		cfg  obj
		sts  obj
	}{{"relayer", rcfg, relayer}, {"verifier", vcfg, verifier}} {
		if c.cfg.str("admin.listen") != "127.0.0.1:9200" || c.cfg.str("admin.token_file") != "/etc/vigil/admin/token" {
			t.Errorf("%s admin config: %v", c.name, c.cfg.get("admin"))
		}
		if c.cfg.str("metrics.listen") != "0.0.0.0:9300" {
			t.Errorf("%s metrics.listen %q", c.name, c.cfg.str("metrics.listen"))
		}
		found := false
		for _, v := range c.sts.list("spec.template.spec.volumes") {
			vo := obj(v.(map[string]any))
			if vo.str("secret.secretName") == "admin-token" && vo.str("secret.items[0].key") == "t" &&
				vo.str("secret.items[0].path") == "token" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: the admin token Secret is not mounted as token", c.name)
		}
	}
	if pdb := r.find("PodDisruptionBudget", "bridge-watch-verifier"); pdb.str("spec.maxUnavailable") != "1" || pdb.get("spec.minAvailable") != nil {
		t.Errorf("PDB with maxUnavailable: %v", pdb.get("spec"))
	}
	configCheck(t, r, "bridge-watch", "relayer", "verifier")
}

func TestRequiredValues(t *testing.T) {
	cases := []struct{ name, values, want string }{
		{"signer without Secret", realChains + "signers: {relayer: {components: [relayer]}}\n",
			"signers.relayer.existingSecret is required"},
		{"signer without components", realChains + "signers: {relayer: {existingSecret: k}}\n",
			"signers.relayer.components is required"},
		{"signer mounted nowhere", realChains + "signers: {relayer: {existingSecret: k, components: []}}\n",
			"signers.relayer.components is empty"},
		{"signer in an unknown component", realChains + "signers: {relayer: {existingSecret: k, components: [relay]}}\n",
			"signers.relayer.components: relay is not relayer or verifier"},
		{"no chains", "config: {chains: null}\n", "config.chains is required"},
		{"store set in config", "config: {store: {path: /data}}\n", "config.store is set by the chart"},
		{"signers set in config", "config: {signers: {a: {key_env: K, dev: true}}}\n", "config.signers is set by the chart"},
		{"admin without token", "admin: {enabled: true}\n", "admin.tokenSecret.name is required"},
		{"no image", "image: {repository: \"\"}\n", "image.repository is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { renderFails(t, c.values, c.want) })
	}
}

// The rendered alerts are valid Prometheus rules and fire (and stay quiet) as
// alerts_test.yaml expects, evaluated by promtool on synthetic series.
func TestAlertRules(t *testing.T) {
	promtool := os.Getenv("PROMTOOL")
	if promtool == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PROMTOOL is not set: cannot check the alert rules")
		}
		t.Skip("PROMTOOL not set (make chart-test provides it)")
	}
	r := render(t, monitoringValues, "--name", "watch", "--namespace", "bridge")
	rule := r.find("PrometheusRule", "watch-vigil")
	if rule == nil {
		t.Fatalf("no PrometheusRule")
	}
	dir := t.TempDir()
	rules, err := yaml.Marshal(map[string]any{"groups": rule.get("spec.groups")})
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile("alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"rules.yaml": rules, "alerts_test.yaml": tests} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"check", "rules", "rules.yaml"}, {"test", "rules", "alerts_test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// --- the metric contract ---------------------------------------------------------------

type metric struct {
	labels  map[string]bool
	pending bool
}

func readContract(t *testing.T) map[string]metric {
	t.Helper()
	f, err := os.Open("metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]metric{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 4 || (fields[3] != "code" && fields[3] != "pending") {
			t.Fatalf("metrics.txt: bad line %q", line)
		}
		m := metric{labels: map[string]bool{}, pending: fields[3] == "pending"}
		for _, l := range strings.Split(fields[2], ",") {
			m.labels[l] = true
		}
		out[fields[0]] = m
	}
	return out
}

// The labels Prometheus adds to every scraped series (the ServiceMonitor's targets).
var targetLabels = map[string]bool{"namespace": true, "service": true, "pod": true, "instance": true,
	"job": true, "container": true, "endpoint": true}

var (
	metricName = regexp.MustCompile(`\b(vigil_[a-z0-9_]+)\b`)
	selector   = regexp.MustCompile(`\b(vigil_[a-z0-9_]+|up)\{([^}]*)\}`)
	matcher    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	grouping   = regexp.MustCompile(`\b(?:by|without|on|ignoring)\s*\(([^)]*)\)`)
)

// checkExpr fails when a PromQL expression reads a metric or a label the contract lacks.
func checkExpr(t *testing.T, where, expr string, contract map[string]metric) {
	t.Helper()
	allowed := map[string]bool{}
	for k := range targetLabels {
		allowed[k] = true
	}
	for _, m := range metricName.FindAllStringSubmatch(expr, -1) {
		c, ok := contract[m[1]]
		if !ok {
			t.Errorf("%s reads %s, which is not in tests/chart/metrics.txt: %s", where, m[1], expr)
			continue
		}
		for l := range c.labels {
			allowed[l] = true
		}
	}
	for _, s := range selector.FindAllStringSubmatch(expr, -1) {
		for _, l := range matcher.FindAllStringSubmatch(s[2], -1) {
			if !allowed[l[1]] {
				t.Errorf("%s selects on label %q that %s does not have: %s", where, l[1], s[1], expr)
			}
		}
	}
	for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[1], ",") {
			if l = strings.TrimSpace(l); l != "" && !allowed[l] {
				t.Errorf("%s groups by label %q that its metrics do not have: %s", where, l, expr)
			}
		}
	}
}

// The contract agrees with the code: a `code` metric is registered in the sources, and
// a `pending` one that has appeared is reported.
func TestMetricContractMatchesCode(t *testing.T) {
	contract := readContract(t)
	var sources bytes.Buffer
	for _, dir := range []string{"core", "chains", "verifier", "relayer", "cmd"} {
		filepath.Walk(filepath.Join(repoRoot, dir), func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() && (strings.HasSuffix(p, ".cpp") || strings.HasSuffix(p, ".h")) {
				data, _ := os.ReadFile(p)
				sources.Write(data)
			}
			return nil
		})
	}
	if sources.Len() == 0 {
		t.Fatalf("no C++ sources found under %s", repoRoot)
	}
	for name, m := range contract {
		inCode := bytes.Contains(sources.Bytes(), []byte(`"`+name+`"`))
		switch {
		case !m.pending && !inCode:
			t.Errorf("%s is marked `code` in metrics.txt but no source registers \"%s\"", name, name)
		case m.pending && inCode:
			t.Logf("note: %s is now in the code: mark it `code` in tests/chart/metrics.txt", name)
		}
	}
}

// --- documentation ----------------------------------------------------------------------

// Every key of values.yaml has a row in the README's values table, and every alert is
// described there with the metric it reads.
func TestReadmeDocumentsValuesAndAlerts(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		// config is Vigil's own schema (documented in the top README); a map value that is
		// empty by default is one key.
		if !ok || len(m) == 0 || prefix == "config" {
			keys = append(keys, prefix)
			return
		}
		for k, sub := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walk(p, sub)
		}
	}
	walk("", values)
	// A row for a key documents everything under it (relayer.resources covers
	// relayer.resources.requests.cpu).
	for _, k := range keys {
		documented := false
		for p := k; p != "" && !documented; {
			documented = bytes.Contains(readme, []byte("| `"+p+"` |"))
			if i := strings.LastIndexByte(p, '.'); i >= 0 {
				p = p[:i]
			} else {
				p = ""
			}
		}
		if !documented {
			t.Errorf("README.md values table has no row for `%s` (or a key above it)", k)
		}
	}
	rule, err := os.ReadFile(filepath.Join(chartDir, "templates", "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`alert: (Vigil[A-Za-z]+)`).FindAllStringSubmatch(string(rule), -1) {
		if !bytes.Contains(readme, []byte("`"+m[1]+"`")) {
			t.Errorf("README.md does not describe alert %s", m[1])
		}
	}
}
