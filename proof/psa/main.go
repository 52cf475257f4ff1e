// Command psa evaluates Kubernetes manifests against the upstream Pod Security Standards, with the
// same library the API server's Pod Security Admission plugin uses (k8s.io/pod-security-admission),
// at a given level and version (default restricted:latest).
//
// Usage:
//
//	psa [--level restricted|baseline|privileged] [--version latest|v1.N] [FILE ...]
//
// It reads multi-document YAML (or JSON) from the files, or from stdin when none is given, and
// evaluates the pod template of every pod-bearing object: Pod, Deployment, StatefulSet, DaemonSet,
// ReplicaSet, ReplicationController, Job, CronJob, PodTemplate. Other kinds are skipped.
//
// Output: one line per forbidden check, `<Kind>/<name>: <reason>: <detail>` (detail omitted when
// the check gave none), then a summary line `psa: N objects evaluated, M violations`.
// Exit status: 0 when every object is allowed, 1 when at least one check forbids one,
// 2 on a usage, read or decode error.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// Violation is one forbidden check on one object.
type Violation struct {
	Kind, Name, Reason, Detail string
}

func (v Violation) String() string {
	s := fmt.Sprintf("%s/%s: %s", v.Kind, v.Name, v.Reason)
	if v.Detail != "" {
		s += ": " + v.Detail
	}
	return s
}

// typeMeta is what is read of every document to pick its Go type.
type typeMeta struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
}

// podOf decodes doc and returns the object's kind, name, pod metadata and pod spec; ok is false
// for kinds that carry no pod.
func podOf(doc []byte) (kind, name string, meta *metav1.ObjectMeta, spec *corev1.PodSpec, ok bool, err error) {
	var tm typeMeta
	if err = yaml.Unmarshal(doc, &tm); err != nil {
		return "", "", nil, nil, false, err
	}
	kind, name = tm.Kind, tm.Metadata.Name
	switch tm.Kind {
	case "Pod":
		var o corev1.Pod
		err = yaml.Unmarshal(doc, &o)
		return kind, name, &o.ObjectMeta, &o.Spec, err == nil, err
	case "PodTemplate":
		var o corev1.PodTemplate
		err = yaml.Unmarshal(doc, &o)
		return kind, name, &o.Template.ObjectMeta, &o.Template.Spec, err == nil, err
	case "ReplicationController":
		var o corev1.ReplicationController
		err = yaml.Unmarshal(doc, &o)
		if err != nil || o.Spec.Template == nil {
			return kind, name, nil, nil, false, err
		}
		return kind, name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true, nil
	case "Deployment":
		var o appsv1.Deployment
		err = yaml.Unmarshal(doc, &o)
		return kind, name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, err == nil, err
	case "StatefulSet":
		var o appsv1.StatefulSet
		err = yaml.Unmarshal(doc, &o)
		return kind, name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, err == nil, err
	case "DaemonSet":
		var o appsv1.DaemonSet
		err = yaml.Unmarshal(doc, &o)
		return kind, name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, err == nil, err
	case "ReplicaSet":
		var o appsv1.ReplicaSet
		err = yaml.Unmarshal(doc, &o)
		return kind, name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, err == nil, err
	case "Job":
		var o batchv1.Job
		err = yaml.Unmarshal(doc, &o)
		return kind, name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, err == nil, err
	case "CronJob":
		var o batchv1.CronJob
		err = yaml.Unmarshal(doc, &o)
		t := &o.Spec.JobTemplate.Spec.Template
		return kind, name, &t.ObjectMeta, &t.Spec, err == nil, err
	}
	return kind, name, nil, nil, false, nil
}

// Evaluate reads every YAML/JSON document of r and evaluates its pod, if any, at lv. It returns
// the number of pod-bearing objects and their violations, sorted by kind, name and reason.
func Evaluate(r io.Reader, source string, lv api.LevelVersion) (int, []Violation, error) {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return 0, nil, err
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	evaluated := 0
	var out []Violation
	for i := 1; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return evaluated, out, fmt.Errorf("%s: document %d: %w", source, i, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		kind, name, meta, spec, ok, err := podOf(doc)
		if err != nil {
			return evaluated, out, fmt.Errorf("%s: document %d (%s/%s): %w", source, i, kind, name, err)
		}
		if !ok {
			continue
		}
		evaluated++
		agg := policy.AggregateCheckResults(evaluator.EvaluatePod(lv, meta, spec))
		for j, reason := range agg.ForbiddenReasons {
			out = append(out, Violation{Kind: kind, Name: name, Reason: reason, Detail: agg.ForbiddenDetails[j]})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Kind != out[b].Kind {
			return out[a].Kind < out[b].Kind
		}
		if out[a].Name != out[b].Name {
			return out[a].Name < out[b].Name
		}
		return out[a].Reason < out[b].Reason
	})
	return evaluated, out, nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("psa", flag.ContinueOnError)
	fs.SetOutput(stderr)
	level := fs.String("level", "restricted", "Pod Security Standards level: privileged, baseline or restricted")
	version := fs.String("version", "latest", "policy version: latest or v1.N")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	lvl, err := api.ParseLevel(*level)
	if err != nil {
		fmt.Fprintf(stderr, "psa: --level: %v\n", err)
		return 2
	}
	ver, err := api.ParseVersion(*version)
	if err != nil {
		fmt.Fprintf(stderr, "psa: --version: %v\n", err)
		return 2
	}
	lv := api.LevelVersion{Level: lvl, Version: ver}

	total, violations := 0, []Violation(nil)
	evaluate := func(r io.Reader, source string) bool {
		n, v, err := Evaluate(r, source, lv)
		total += n
		violations = append(violations, v...)
		if err != nil {
			fmt.Fprintf(stderr, "psa: %v\n", err)
			return false
		}
		return true
	}
	if fs.NArg() == 0 {
		if !evaluate(stdin, "<stdin>") {
			return 2
		}
	}
	for _, file := range fs.Args() {
		f, err := os.Open(file)
		if err != nil {
			fmt.Fprintf(stderr, "psa: %v\n", err)
			return 2
		}
		ok := evaluate(f, file)
		_ = f.Close()
		if !ok {
			return 2
		}
	}
	for _, v := range violations {
		fmt.Fprintln(stdout, v.String())
	}
	fmt.Fprintf(stdout, "psa: %d objects evaluated at %s:%s, %d violations\n", total, lvl, ver.String(), len(violations))
	if len(violations) > 0 {
		return 1
	}
	return 0
}
