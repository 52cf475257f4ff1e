// Command dockerfile-lint runs BuildKit's Dockerfile checks (the rules that
// `docker build --check` reports) against a Dockerfile, offline.
//
// Usage:
//
//	dockerfile-lint [--json] [--target NAME] [--build-arg K=V]... [--base-env K=V]... [--list-rules] PATH
//
// It calls the same public entry point BuildKit's Dockerfile frontend uses for
// its "lint" subrequest, dockerfile2llb.DockerfileLint, so every rule
// (parser-level, instructions.Parse-level and dispatch-level such as
// UndefinedVar or SecretsUsedInArgOrEnv) runs, and the `# check=skip=...`
// / `# check=error=true` / `# check=experimental=...` directives are honoured.
//
// Base images are NOT pulled: a stub image-metadata resolver answers every
// FROM with an empty image config for the requested platform whose only
// environment variable is PATH (plus any --base-env K=V given). Consequently
// a variable that really comes from a base image's ENV (e.g. $JAVA_HOME) is
// reported as UndefinedVar unless passed with --base-env. CopyIgnoredFile is
// never reported (it needs the build context's .dockerignore via a BuildKit
// client).
//
// Output: one line per warning. With --json each line is a JSON object
// {"rule":"...","line":N,"message":"...","url":"..."}; otherwise
// "PATH:LINE: RULE: MESSAGE". Warnings are sorted by line, then rule.
//
// Exit status: 0 no warnings, 1 one or more warnings, 2 the Dockerfile could
// not be parsed/converted (the error is printed to stderr, and with --json
// also as {"error":"...","line":N} on stdout), 3 usage or I/O error.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/util/system"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Finding is one reported warning.
type Finding struct {
	Rule    string `json:"rule"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	URL     string `json:"url,omitempty"`
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// offlineResolver satisfies llb.ImageMetaResolver without network access.
type offlineResolver struct{ env []string }

func (r offlineResolver) ResolveImageConfig(
	_ context.Context, ref string, opt sourceresolver.Opt,
) (string, digest.Digest, []byte, error) {
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	img := dockerspec.DockerOCIImage{}
	img.Platform = p
	img.RootFS.Type = "layers"
	// One fake layer so the base is not treated as "scratch".
	img.RootFS.DiffIDs = []digest.Digest{digest.FromString(ref)}
	img.Config.Env = append([]string{"PATH=" + system.DefaultPathEnv(p.OS)}, r.env...)
	dt, err := json.Marshal(img)
	if err != nil {
		return "", "", nil, err
	}
	return ref, "", dt, nil
}

// allRules lists every rule defined by the pinned BuildKit linter package.
var allRules = []linter.LinterRuleI{
	&linter.RuleStageNameCasing, &linter.RuleFromAsCasing, &linter.RuleNoEmptyContinuation,
	&linter.RuleConsistentInstructionCasing, &linter.RuleDuplicateStageName, &linter.RuleReservedStageName,
	&linter.RuleJSONArgsRecommended, &linter.RuleMaintainerDeprecated, &linter.RuleUndefinedArgInFrom,
	&linter.RuleWorkdirRelativePath, &linter.RuleUndefinedVar, &linter.RuleMultipleInstructionsDisallowed,
	&linter.RuleLegacyKeyValueFormat, &linter.RuleInvalidBaseImagePlatform, &linter.RuleRedundantTargetPlatform,
	&linter.RuleSecretsUsedInArgOrEnv, &linter.RuleInvalidDefaultArgInFrom, &linter.RuleFromPlatformFlagConstDisallowed,
	&linter.RuleCopyIgnoredFile, &linter.RuleInvalidDefinitionDescription, &linter.RuleExposeProtoCasing,
	&linter.RuleExposeInvalidFormat,
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dockerfile-lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print findings as JSON lines")
	target := fs.String("target", "", "lint only the stages needed for this target (default: all stages)")
	listRules := fs.Bool("list-rules", false, "print the rule names known to the linked BuildKit and exit")
	var buildArgs, baseEnv multiFlag
	fs.Var(&buildArgs, "build-arg", "build argument K=V (repeatable)")
	fs.Var(&baseEnv, "base-env", "assume base images define env K=V (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: dockerfile-lint [--json] [--target NAME] [--build-arg K=V]... [--base-env K=V]... PATH")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 3
	}
	if *listRules {
		for _, r := range allRules {
			exp := ""
			if r.IsExperimental() {
				exp = " (experimental)"
			}
			fmt.Fprintf(stdout, "%s%s\n", ruleName(r), exp)
		}
		return 0
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 3
	}
	path := fs.Arg(0)
	dt, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "dockerfile-lint:", err)
		return 3
	}
	ba := map[string]string{}
	for _, kv := range buildArgs {
		k, v, _ := strings.Cut(kv, "=")
		ba[k] = v
	}

	// DockerfileLint records the source in its results and needs a non-nil
	// Definition (BuildKit's builder passes the LLB of the context it read the
	// Dockerfile from); an empty one is enough offline.
	sourceMap := llb.NewSourceMap(nil, path, "Dockerfile", dt)
	sourceMap.Definition = &llb.Definition{}

	opt := dockerfile2llb.ConvertOpt{
		Config: dockerui.Config{
			BuildArgs: ba,
			Target:    *target,
		},
		SourceMap:    sourceMap,
		MetaResolver: offlineResolver{env: baseEnv},
	}
	res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, opt)
	if err != nil {
		return reportError(stdout, stderr, *asJSON, path, err.Error(), 0)
	}

	findings := make([]Finding, 0, len(res.Warnings))
	for _, w := range res.Warnings {
		f := Finding{Rule: w.RuleName, Message: w.Detail, URL: w.URL}
		if w.Location != nil && len(w.Location.Ranges) > 0 && w.Location.Ranges[0].Start != nil {
			f.Line = int(w.Location.Ranges[0].Start.Line)
		}
		findings = append(findings, f)
	}
	sort.SliceStable(findings, func(i, j int) bool {
		if findings[i].Line != findings[j].Line {
			return findings[i].Line < findings[j].Line
		}
		return findings[i].Rule < findings[j].Rule
	})
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, f := range findings {
		if *asJSON {
			_ = enc.Encode(f)
		} else {
			fmt.Fprintf(stdout, "%s:%d: %s: %s\n", path, f.Line, f.Rule, f.Message)
		}
	}
	if res.Error != nil {
		line := 0
		if rs := res.Error.Location.Ranges; len(rs) > 0 && rs[0].Start != nil {
			line = int(rs[0].Start.Line)
		}
		return reportError(stdout, stderr, *asJSON, path, res.Error.Message, line)
	}
	if len(findings) > 0 {
		return 1
	}
	return 0
}

func reportError(stdout, stderr io.Writer, asJSON bool, path, msg string, line int) int {
	fmt.Fprintf(stderr, "dockerfile-lint: %s:%d: %s\n", path, line, msg)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(map[string]any{"error": msg, "line": line})
	}
	return 2
}

func ruleName(r linter.LinterRuleI) string { return r.RuleName() }
