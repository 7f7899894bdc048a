package deploytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/eventpattern"
	"github.com/absr-autopair/absr-autopair/internal/intake"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

const (
	repoRoot   = "../.."
	schemaName = "fc3-function-props.schema.json"
	// Markers around the optional, commented-out trigger in s.yaml.
	optionalBegin = "# BEGIN optional triggers"
	optionalEnd   = "# END optional triggers"
)

// project is s.yaml with ${vars.x} resolved.
type project struct {
	raw       map[string]any // as written
	resolved  map[string]any
	vars      map[string]any
	resources map[string]map[string]any // fc3 resources: name -> resource
	optional  []map[string]any          // the commented-out triggers, as optionalTriggers reads them
}

var (
	varRef   = regexp.MustCompile(`\$\{vars\.([A-Za-z0-9_]+)\}`)
	anyRef   = regexp.MustCompile(`\$\{[^}]*\}`)
	magicRef = regexp.MustCompile(`^\$\{config\('AccountID'\)\}$`) // the only other reference used
)

func loadProject(t *testing.T) project {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "s.yaml"))
	if err != nil {
		t.Fatalf("read s.yaml: %v", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatalf("s.yaml: %v", err)
	}
	var resolved map[string]any
	if err := yaml.Unmarshal(data, &resolved); err != nil {
		t.Fatal(err)
	}
	vars, _ := raw["vars"].(map[string]any)
	var problems []string
	resolved = resolve(resolved, vars, &problems).(map[string]any)
	for _, p := range problems {
		t.Errorf("s.yaml: %s", p)
	}
	p := project{raw: raw, resolved: resolved, vars: vars, resources: map[string]map[string]any{},
		optional: optionalTriggers(t, string(data))}
	resources, _ := resolved["resources"].(map[string]any)
	for name, r := range resources {
		res, _ := r.(map[string]any)
		if res["component"] == "fc3" {
			p.resources[name] = res
		}
	}
	if len(p.resources) == 0 {
		t.Fatal("s.yaml: no fc3 resource")
	}
	return p
}

// resolve replaces ${vars.x} in every string, and reports references it cannot resolve.
func resolve(v any, vars map[string]any, problems *[]string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = resolve(e, vars, problems)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = resolve(e, vars, problems)
		}
		return x
	case string:
		// A value that is exactly one reference takes the variable's type.
		if m := varRef.FindStringSubmatch(x); m != nil && m[0] == x {
			val, ok := vars[m[1]]
			if !ok {
				*problems = append(*problems, fmt.Sprintf("%s: no such variable", x))
			}
			return resolve(val, vars, problems)
		}
		out := varRef.ReplaceAllStringFunc(x, func(ref string) string {
			name := varRef.FindStringSubmatch(ref)[1]
			val, ok := vars[name]
			if !ok {
				*problems = append(*problems, fmt.Sprintf("%s: no such variable", ref))
			}
			return fmt.Sprint(val)
		})
		for _, ref := range anyRef.FindAllString(out, -1) {
			if !magicRef.MatchString(ref) {
				*problems = append(*problems, fmt.Sprintf("%s in %q: unknown reference", ref, x))
			}
		}
		return out
	}
	return v
}

// optionalTriggers parses the commented-out triggers between the markers in s.yaml's text, as
// they would be once uncommented.
func optionalTriggers(t *testing.T, text string) []map[string]any {
	t.Helper()
	begin, end := strings.Index(text, optionalBegin), strings.Index(text, optionalEnd)
	if begin < 0 || end < begin {
		t.Fatalf("s.yaml: markers %q and %q not found in order", optionalBegin, optionalEnd)
	}
	var lines []string
	for _, line := range strings.Split(text[begin:end], "\n")[1:] {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		if !strings.HasPrefix(trimmed, "# ") {
			t.Fatalf("s.yaml: line %q between the markers is not commented out", line)
		}
		indent := line[:strings.Index(line, "#")]
		lines = append(lines, indent+strings.TrimPrefix(trimmed, "# "))
	}
	var triggers []map[string]any
	if err := yaml.Unmarshal([]byte(strings.Join(lines, "\n")), &triggers); err != nil {
		t.Fatalf("s.yaml: the optional triggers do not parse once uncommented: %v", err)
	}
	if len(triggers) == 0 {
		t.Fatal("s.yaml: no optional trigger between the markers")
	}
	return triggers
}

func triggersOf(t *testing.T, props map[string]any) []map[string]any {
	t.Helper()
	list, ok := props["triggers"].([]any)
	if !ok {
		t.Fatal("props.triggers is not a list")
	}
	var out []map[string]any
	for i, tr := range list {
		m, ok := tr.(map[string]any)
		if !ok {
			t.Fatalf("props.triggers[%d] is not a mapping", i)
		}
		out = append(out, m)
	}
	return out
}

// triggers is a resource's triggers followed by the optional ones.
func (p project) triggers(t *testing.T, props map[string]any) []map[string]any {
	t.Helper()
	return append(triggersOf(t, props), p.optional...)
}

func triggerConfig(tr map[string]any) map[string]any {
	c, _ := tr["triggerConfig"].(map[string]any)
	return c
}

// schemaPath is the copy of the fc3 component's props schema kept in testdata (MIT, with its
// license beside it), so that the check runs on every clone.
var schemaPath = filepath.Join("testdata", "fc3", schemaName)

func toJSONValue(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("to JSON: %v", err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPropsMatchFC3Schema validates every fc3 resource's props against the fc3 component's
// schema, and each trigger's config against its own definition: the schema's trigger anyOf
// includes an empty object type that would let any config through.
func TestPropsMatchFC3Schema(t *testing.T) {
	path := schemaPath
	c := jsonschema.NewCompiler()
	props, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	triggerSchemas := map[string]*jsonschema.Schema{}
	for typ, def := range map[string]string{"eventbridge": "IEventBridge", "timer": "ITimerTriggerConfig"} {
		s, err := c.Compile(path + "#/definitions/" + def)
		if err != nil {
			t.Fatalf("compile %s: %v", def, err)
		}
		triggerSchemas[typ] = s
	}

	p := loadProject(t)
	for name, res := range p.resources {
		pr, _ := res["props"].(map[string]any)
		if err := props.Validate(toJSONValue(t, pr)); err != nil {
			t.Errorf("resources.%s.props: %v", name, err)
		}
		for _, tr := range p.triggers(t, pr) {
			typ, _ := tr["triggerType"].(string)
			s, ok := triggerSchemas[typ]
			if !ok {
				t.Errorf("trigger %v: type %q has no schema check here", tr["triggerName"], typ)
				continue
			}
			if err := s.Validate(toJSONValue(t, tr["triggerConfig"])); err != nil {
				t.Errorf("trigger %v: %v", tr["triggerName"], err)
			}
		}
	}
}

var (
	triggerNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,127}$`)
	// A full role ARN, or a bare role name that the fc3 component completes with the deploying
	// account's ID.
	roleARNPattern = regexp.MustCompile(`^(acs:ram::(\d+|\$\{config\('AccountID'\)\}):role/)?[A-Za-z0-9._-]+$`)
	cronPattern    = regexp.MustCompile(`^CRON_TZ=(\S+) (\S+ \S+ \S+ \S+ \S+ \S+)$`)
)

// TestFunctionShape checks what the deployment relies on, with or without the schema.
func TestFunctionShape(t *testing.T) {
	p := loadProject(t)
	if p.raw["edition"] != "3.0.0" {
		t.Errorf("edition = %v, want 3.0.0", p.raw["edition"])
	}
	if len(p.resources) != 1 {
		t.Errorf("%d fc3 resources, want one function", len(p.resources))
	}
	for name, res := range p.resources {
		props, _ := res["props"].(map[string]any)
		want := map[string]any{"runtime": "go1", "handler": "main", "code": "./dist", "logConfig": "auto"}
		for k, v := range want {
			if props[k] != v {
				t.Errorf("%s.props.%s = %v, want %v", name, k, props[k], v)
			}
		}
		mem, ok := props["memorySize"].(int)
		if !ok || mem < 128 || mem%64 != 0 {
			t.Errorf("%s.props.memorySize = %v, want a multiple of 64, at least 128", name, props["memorySize"])
		}
		if to, ok := props["timeout"].(int); !ok || to < 60 || to > 86400 {
			t.Errorf("%s.props.timeout = %v, want 60..86400 s: a sweep needs minutes", name, props["timeout"])
		}

		rawProps := p.raw["resources"].(map[string]any)[name].(map[string]any)["props"].(map[string]any)
		if rawProps["role"] != "${vars.role}" {
			t.Errorf("%s.props.role = %v, want ${vars.role}", name, rawProps["role"])
		}
		if role, _ := p.vars["role"].(string); !roleARNPattern.MatchString(role) {
			t.Errorf("vars.role = %q, want a RAM role name or ARN acs:ram::<account>:role/<name>", role)
		}

		async, _ := props["asyncInvokeConfig"].(map[string]any)
		if async["maxAsyncRetryAttempts"] != 3 {
			t.Errorf("asyncInvokeConfig.maxAsyncRetryAttempts = %v, want 3", async["maxAsyncRetryAttempts"])
		}
		if age, ok := async["maxAsyncEventAgeInSeconds"].(int); !ok || age < 60 || age > 2592000 {
			t.Errorf("asyncInvokeConfig.maxAsyncEventAgeInSeconds = %v", async["maxAsyncEventAgeInSeconds"])
		}

		checkBuildAction(t, res, props)
		checkEnvironment(t, props, p.vars)
		checkTriggers(t, p.triggers(t, props), len(triggersOf(t, props)))
	}
}

func checkBuildAction(t *testing.T, res, props map[string]any) {
	t.Helper()
	actions, _ := res["actions"].(map[string]any)
	steps, _ := actions["pre-deploy"].([]any)
	for _, s := range steps {
		step, _ := s.(map[string]any)
		run, _ := step["run"].(string)
		if !strings.Contains(run, "go build") {
			continue
		}
		for _, want := range []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "-trimpath", "-o dist/main"} {
			if !strings.Contains(run, want) {
				t.Errorf("pre-deploy build %q lacks %s", run, want)
			}
		}
		if code, _ := props["code"].(string); filepath.Clean(code) != "dist" {
			t.Errorf("code = %q, but the build writes dist/main", code)
		}
		return
	}
	t.Error("no pre-deploy action runs go build")
}

func checkEnvironment(t *testing.T, props, vars map[string]any) {
	t.Helper()
	envMap, ok := props["environmentVariables"].(map[string]any)
	if !ok {
		t.Fatal("environmentVariables missing")
	}
	env := map[string]string{}
	for k, v := range envMap {
		s, ok := v.(string)
		if !ok {
			t.Errorf("environmentVariables.%s = %v (%T): FC wants strings; quote it", k, v, v)
		}
		env[k] = s
	}
	size, _ := json.Marshal(env)
	if len(size) >= 4096 {
		t.Errorf("environment variables take %d bytes; FC allows 4 KB", len(size))
	}
	known := map[string]bool{}
	for _, name := range config.Variables() {
		known[name] = true
		if _, ok := env[name]; !ok && name != config.EnvECSEndpoint && name != config.EnvEBSEndpoint {
			t.Errorf("environmentVariables lacks %s (write every default out)", name)
		}
	}
	for name := range env {
		if strings.HasPrefix(name, "ABSR_") && !known[name] {
			t.Errorf("environmentVariables.%s is not a variable the function reads", name)
		}
	}
	// What FC would hand the function must be a valid configuration: the documented defaults,
	// plus the routes from vars.
	env[config.EnvFCRegion], _ = vars["region"].(string)
	cfg, err := config.FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("the environment in s.yaml is not a valid configuration: %v", err)
	}
	o := cfg.Pairing
	if o.OptInKey != "dr" || o.OptInValue != "enabled" || o.AutoCreateSecondary || !o.Start || !o.MarkPrimary ||
		o.DryRun || o.PairNameTemplate != "absr-{diskId}" || o.ChargeType != "POSTPAY" || o.Bandwidth != 0 ||
		o.RPO != 900 || cfg.API != "ebs" {
		t.Errorf("s.yaml's environment differs from the documented defaults: %+v api=%s", o, cfg.API)
	}
	if len(cfg.SourceRegions) != 1 || cfg.SourceRegions[0] != env[config.EnvFCRegion] {
		t.Errorf("source regions = %v, want the function's region", cfg.SourceRegions)
	}
	if len(o.Routes) == 0 {
		t.Error("s.yaml configures no route: every disk without a mapping or tag would be skipped")
	}
}

func checkTriggers(t *testing.T, triggers []map[string]any, deployed int) {
	t.Helper()
	names := map[string]bool{}
	var eventbridge, timers int
	sources := map[string]bool{}
	for i, tr := range triggers {
		name, _ := tr["triggerName"].(string)
		if !triggerNamePattern.MatchString(name) || names[name] {
			t.Errorf("trigger %d: name %q is not a valid, unique trigger name", i, name)
		}
		names[name] = true
		cfg := triggerConfig(tr)
		switch tr["triggerType"] {
		case "eventbridge":
			eventbridge++
			if cfg["triggerEnable"] != true || cfg["asyncInvocationType"] != true {
				t.Errorf("trigger %s: want triggerEnable and asyncInvocationType true (FC retries async invocations)", name)
			}
			src, _ := cfg["eventSourceConfig"].(map[string]any)
			if src["eventSourceType"] != "Default" {
				t.Errorf("trigger %s: eventSourceType = %v, want Default (Alibaba service events)", name, src["eventSourceType"])
			}
			text, ok := cfg["eventRuleFilterPattern"].(string)
			if !ok {
				t.Errorf("trigger %s: eventRuleFilterPattern must be a JSON string, found %T", name, cfg["eventRuleFilterPattern"])
				continue
			}
			var parsed map[string]any
			if err := json.Unmarshal([]byte(text), &parsed); err != nil {
				t.Errorf("trigger %s: eventRuleFilterPattern is not JSON: %v", name, err)
				continue
			}
			if _, err := eventpattern.Compile([]byte(text)); err != nil {
				t.Errorf("trigger %s: %v", name, err)
			}
			list, _ := parsed["source"].([]any)
			for _, s := range list {
				str, ok := s.(string)
				if !ok || !strings.HasPrefix(str, "acs.") {
					t.Errorf("trigger %s: source %v is not an exact acs.* service name", name, s)
				}
				sources[str] = true
			}
		case "timer":
			timers++
			if cfg["enable"] != true {
				t.Errorf("timer %s is not enabled", name)
			}
			cron, _ := cfg["cronExpression"].(string)
			m := cronPattern.FindStringSubmatch(cron)
			if m == nil {
				t.Errorf("timer %s: cronExpression %q is not CRON_TZ=<zone> and six fields", name, cron)
			} else if _, err := time.LoadLocation(m[1]); err != nil {
				t.Errorf("timer %s: time zone %q: %v", name, m[1], err)
			}
			payload, _ := cfg["payload"].(string)
			event, _ := json.Marshal(map[string]string{"triggerTime": "2026-11-27T10:00:00Z", "triggerName": name, "payload": payload})
			req, err := intake.Decode(event)
			if err != nil || req.Sweep == nil {
				t.Errorf("timer %s: payload %q is not read as a sweep: %v", name, payload, err)
			}
		default:
			t.Errorf("trigger %s: unexpected type %v", name, tr["triggerType"])
		}
	}
	if timers == 0 {
		t.Error("no timer trigger: nothing runs the reconcile sweep")
	}
	if !sources["acs.ecs"] || eventbridge == 0 {
		t.Error("no eventbridge trigger for acs.ecs events")
	}
	// Alibaba-service rules on the default bus: at most 10 per account, shared with everything else.
	if eventbridge > 10 || deployed > 3 {
		t.Errorf("%d eventbridge rules (%d deployed by default): too many of the account's 10", eventbridge, deployed)
	}
}
