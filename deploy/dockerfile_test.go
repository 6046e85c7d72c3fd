package deploy_test

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd, args string
	stage     int // index of the FROM it belongs to
}

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	stage := -1
	var cur strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasPrefix(trimmed, "#") {
			continue // a comment inside a continued instruction
		}
		if more, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(more + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, instruction{cmd: cmd, args: strings.Join(strings.Fields(args), " "), stage: stage})
	}
	return out
}

// TestDockerfile: pinned base images, static binaries of all three processes
// and the health check, and a final image that runs as a user that is not root.
func TestDockerfile(t *testing.T) {
	ins := readDockerfile(t)
	var stages []string // stage names, "" when unnamed
	last := 0
	for _, in := range ins {
		if in.cmd != "FROM" {
			continue
		}
		fields := slices.DeleteFunc(strings.Fields(in.args), func(f string) bool { return strings.HasPrefix(f, "--") })
		if len(fields) == 0 {
			t.Fatalf("FROM %s names no image", in.args)
		}
		image := fields[0]
		if !slices.Contains(stages, image) {
			if msg := unpinned(image); msg != "" {
				t.Errorf("FROM %s: the image %s", image, msg)
			}
		}
		name := ""
		if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
			name = fields[2]
		}
		stages = append(stages, name)
		last = in.stage
	}
	if len(stages) < 2 {
		t.Errorf("the Dockerfile has %d stages; build in one, ship the binaries in another", len(stages))
	}

	var user string
	var cgoOff bool
	var build instruction
	for _, in := range ins {
		switch {
		case in.cmd == "USER" && in.stage == last:
			user = in.args
		case (in.cmd == "ENV" || in.cmd == "ARG") && strings.Contains(in.args, "CGO_ENABLED=0"):
			cgoOff = true
		case in.cmd == "RUN" && strings.Contains(in.args, "go build"):
			build = in
			cgoOff = cgoOff || strings.Contains(in.args, "CGO_ENABLED=0")
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		t.Errorf("the final image runs as %q; want a USER that is not root", user)
	}
	if !cgoOff {
		t.Error("CGO_ENABLED=0 is not set for the build: the binaries would need libc")
	}
	if build.cmd == "" {
		t.Fatal("no RUN go build")
	}
	var pkgs []string
	outDir := ""
	fields := strings.Fields(build.args)
	for i, f := range fields {
		if strings.HasPrefix(f, "./") {
			pkgs = append(pkgs, path.Clean(f))
		}
		if f == "-o" && i+1 < len(fields) {
			outDir = fields[i+1]
		}
	}
	for _, want := range []string{"worker", "starter", "standin", "deploy/healthcheck"} {
		if !slices.Contains(pkgs, want) {
			t.Errorf("go build does not build ./%s", want)
		}
	}

	// The final stage copies the build's output to where the compose file runs it.
	var copied bool
	for _, in := range ins {
		if in.cmd == "COPY" && in.stage == last && strings.Contains(in.args, "--from=") &&
			strings.Contains(in.args, outDir+" /usr/local/bin/") {
			copied = true
		}
	}
	if outDir == "" || !copied {
		t.Errorf("the final stage does not copy go build's output (-o %s) to /usr/local/bin/", outDir)
	}
	s := loadStack(t, nil)
	for name, svc := range s.Services {
		if svc.Build == nil {
			continue
		}
		if len(svc.Entrypoint) == 0 {
			t.Errorf("%s builds our image but names no binary in entrypoint", name)
			continue
		}
		bin := svc.Entrypoint[0]
		if path.Dir(bin) != "/usr/local/bin" || !slices.ContainsFunc(pkgs, func(p string) bool { return path.Base(p) == path.Base(bin) }) {
			t.Errorf("%s runs %s, which the Dockerfile does not build into /usr/local/bin", name, bin)
		}
		if svc.Build.Dockerfile != "Dockerfile" && svc.Build.Dockerfile != "" {
			t.Errorf("%s builds from %s", name, svc.Build.Dockerfile)
		}
	}
}

// TestDockerignore: local state, tools and build output stay out of the
// build context; the sources the build needs stay in.
func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		patterns = append(patterns, path.Clean(strings.TrimPrefix(line, "/")))
	}
	for _, want := range []string{"data", ".tools", "bin"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore does not keep %s/ out", want)
		}
	}
	for _, needed := range []string{"go.mod", "go.sum", "worker", "starter", "standin", "deploy", "deploy/healthcheck/main.go",
		"commerce/migrations", "activities/emails", "salesstandin/seller.html"} {
		for _, p := range patterns {
			if strings.HasPrefix(p, "!") {
				continue
			}
			if ok, _ := path.Match(p, needed); ok {
				t.Errorf(".dockerignore pattern %s leaves out %s, which the build needs", p, needed)
			}
		}
	}
}
