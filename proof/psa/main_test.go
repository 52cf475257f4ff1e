package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func runPSA(t *testing.T, args []string, stdin string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRestrictedDeploymentPasses(t *testing.T) {
	code, out, errOut := runPSA(t, []string{"testdata/restricted.yaml"}, "")
	if code != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !strings.Contains(out, "psa: 1 objects evaluated at restricted:latest, 0 violations") {
		t.Fatalf("unexpected summary: %q", out)
	}
}

func TestViolationsAreReportedPerObject(t *testing.T) {
	code, out, _ := runPSA(t, nil, mustRead(t, "testdata/violations.yaml"))
	if code != 1 {
		t.Fatalf("exit %d, want 1; stdout %q", code, out)
	}
	for _, want := range []string{
		"CronJob/backup: host namespaces: hostNetwork=true",
		`CronJob/backup: privileged: container "backup" must not set securityContext.privileged=true`,
		`StatefulSet/db: allowPrivilegeEscalation != false: container "db" must set securityContext.allowPrivilegeEscalation=false`,
		"StatefulSet/db: runAsNonRoot != true:",
		"StatefulSet/db: seccompProfile:",
		"StatefulSet/db: unrestricted capabilities:",
		"psa: 2 objects evaluated at restricted:latest,",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestBaselineAllowsWhatOnlyRestrictedForbids(t *testing.T) {
	code, out, _ := runPSA(t, []string{"--level", "baseline", "testdata/violations.yaml"}, "")
	if code != 1 || strings.Contains(out, "StatefulSet/db") {
		t.Fatalf("baseline: exit %d, want 1 with only the CronJob:\n%s", code, out)
	}
}

func TestUsageAndDecodeErrors(t *testing.T) {
	if code, _, _ := runPSA(t, []string{"--level", "strict"}, ""); code != 2 {
		t.Errorf("bad level: exit %d, want 2", code)
	}
	if code, _, errOut := runPSA(t, nil, "kind: Deployment\nspec: [1, 2]\n"); code != 2 || errOut == "" {
		t.Errorf("undecodable Deployment: exit %d, stderr %q; want 2 and a message", code, errOut)
	}
	if code, _, _ := runPSA(t, []string{"testdata/missing.yaml"}, ""); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
