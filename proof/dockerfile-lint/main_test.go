package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func lint(t *testing.T, args ...string) (int, []Finding, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"--json"}, args...), &out, &errOut)
	var fs []Finding
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var f Finding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		if f.Rule != "" {
			fs = append(fs, f)
		}
	}
	return code, fs, errOut.String()
}

func ruleLines(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+"@"+itoa(f.Line))
	}
	return out
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestRules(t *testing.T) {
	cases := []struct {
		file string
		code int
		want []string
	}{
		{"testdata/clean.Dockerfile", 0, nil},
		{"testdata/skip-directive.Dockerfile", 0, nil},
		{"testdata/rules1.Dockerfile", 1, []string{
			"FromAsCasing@1", "StageNameCasing@1",
			"SecretsUsedInArgOrEnv@2", "SecretsUsedInArgOrEnv@3",
			"WorkdirRelativePath@4", "UndefinedVar@5", "MaintainerDeprecated@6",
			"LegacyKeyValueFormat@7", "ExposeProtoCasing@8",
			"JSONArgsRecommended@9", "MultipleInstructionsDisallowed@9", "JSONArgsRecommended@10",
			"ConsistentInstructionCasing@13", "JSONArgsRecommended@14",
		}},
		{"testdata/rules2.Dockerfile", 1, []string{
			"UndefinedArgInFrom@2", "RedundantTargetPlatform@3", "FromPlatformFlagConstDisallowed@4",
			"ExposeInvalidFormat@6", "UndefinedVar@8",
		}},
		{"testdata/rules3.Dockerfile", 1, []string{
			"ReservedStageName@2", "DuplicateStageName@4", "InvalidDefinitionDescription@6", "NoEmptyContinuation@9",
		}},
		// BuildKit reports the lint warning, then fails to resolve the blank base name.
		{"testdata/invalid-default-arg.Dockerfile", 2, []string{"InvalidDefaultArgInFrom@2"}},
		{"testdata/parse-error.Dockerfile", 2, nil},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			code, fs, stderr := lint(t, c.file)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, stderr)
			}
			if got := ruleLines(fs); !slices.Equal(got, c.want) {
				t.Errorf("findings\n got %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestBaseEnvSuppressesUndefinedVar(t *testing.T) {
	_, fs, _ := lint(t, "--base-env", "JAVA_HOME=/opt/java", "testdata/rules2.Dockerfile")
	for _, f := range fs {
		if f.Rule == "UndefinedVar" {
			t.Fatalf("unexpected %v", f)
		}
	}
}

func TestParseErrorJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--json", "testdata/parse-error.Dockerfile"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d", code)
	}
	var e struct {
		Error string `json:"error"`
		Line  int    `json:"line"`
	}
	if err := json.Unmarshal(out.Bytes(), &e); err != nil || e.Line != 3 || !strings.Contains(e.Error, "COPY requires") {
		t.Fatalf("got %q (%v)", out.String(), err)
	}
}

func TestUsageErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut); code != 3 {
		t.Fatalf("no args: exit %d", code)
	}
	if code := run([]string{"testdata/does-not-exist"}, &out, &errOut); code != 3 {
		t.Fatalf("missing file: exit %d", code)
	}
}

func TestListRules(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--list-rules"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, r := range []string{"StageNameCasing", "UndefinedVar", "SecretsUsedInArgOrEnv", "CopyIgnoredFile"} {
		if !strings.Contains(out.String(), r+"\n") {
			t.Errorf("missing %s in %q", r, out.String())
		}
	}
}
