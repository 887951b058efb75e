// Package testenv is how a test says that something it needs from outside
// the repository is not there: the shared conformance suite, which the
// developers keep in a folder named shared next to the checkout
// (../shared/conformance), or a program such as python3 or chromium.
//
// A user's clone has neither, so outside CI such a test is skipped, loudly,
// naming what is missing and where it was looked for. Under CI=true, where
// .ci/run installs the programs and checks the suite out next to the
// repository, the same test fails instead: CI never passes by skipping.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where nothing a
// test needs may be missing.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing ends the test because what is missing; where says where it was
// looked for. It skips the test, or fails it under CI=true.
func Missing(t testing.TB, what, where string) {
	t.Helper()
	msg := fmt.Sprintf("\n\n*** NOT RUN: %s is missing (looked for %s) ***\n\n", what, where)
	if InCI() {
		t.Fatal(msg + "CI=true: a test that cannot run fails")
		return
	}
	t.Skip(msg)
}

// Shared returns the absolute path of rel in the shared folder next to the
// checkout (../shared/rel, from the folder holding go.mod), or ends the test
// with Missing when it does not exist.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(filepath.Dir(root), "shared", filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		Missing(t, "the shared suite's "+rel, path)
	}
	return path
}

// SharedFiles returns the files of the shared folder that match pattern
// (relative to it, as for filepath.Glob), or ends the test with Missing
// when there are none.
func SharedFiles(t testing.TB, pattern string) []string {
	t.Helper()
	dir := Shared(t, filepath.Dir(pattern))
	where := filepath.Join(dir, filepath.Base(pattern))
	files, err := filepath.Glob(where)
	if err != nil {
		t.Fatalf("testenv: pattern %s: %v", pattern, err)
	}
	if len(files) == 0 {
		Missing(t, "the shared suite's "+pattern, where)
	}
	return files
}

// Program returns the path of the program name found on PATH, or ends the
// test with Missing.
func Program(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "the program "+name, "PATH="+os.Getenv("PATH"))
	}
	return path
}

// moduleRoot is the nearest folder, from the working directory up (a test
// runs in its package's folder), that holds go.mod.
func moduleRoot() (string, error) {
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
			return "", errors.New("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// SharedFilesIfPresent is SharedFiles for a test that also runs without the
// shared suite, on fewer inputs: outside CI a missing suite is logged (the
// test goes on with nil), under CI=true it fails the test.
func SharedFilesIfPresent(t testing.TB, pattern string) []string {
	t.Helper()
	if InCI() {
		return SharedFiles(t, pattern)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	where := filepath.Join(filepath.Dir(root), "shared", filepath.FromSlash(pattern))
	files, err := filepath.Glob(where)
	if err != nil {
		t.Fatalf("testenv: pattern %s: %v", pattern, err)
	}
	if len(files) == 0 {
		t.Logf("*** the shared suite's %s is missing (looked for %s): this test runs without it ***", pattern, where)
	}
	return files
}
