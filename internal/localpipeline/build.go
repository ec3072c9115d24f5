package localpipeline

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/relay-pipeline/relay/internal/settings"
)

// BuildBootstraps builds each function's bootstrap for this machine into
// outDir/<function>/bootstrap with the flags the Makefile uses. moduleRoot is the folder of
// go.mod.
func BuildBootstraps(ctx context.Context, moduleRoot, outDir string) error {
	for _, name := range []string{settings.FunctionEnqueue, settings.FunctionProcess, settings.FunctionNotified} {
		out := filepath.Join(outDir, name, "bootstrap")
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w",
			"-o", out, "./functions/"+name)
		cmd.Dir = moduleRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
		if output, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %w\n%s", name, err, output)
		}
	}
	return nil
}

// ModuleRoot returns the folder of go.mod, searching upwards from the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory: run from inside the relay repository")
		}
		dir = parent
	}
}
