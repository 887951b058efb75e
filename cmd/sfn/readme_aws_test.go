package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadmeAWSWalkthrough runs the README's walkthrough with the aws CLI
// (the ```sh aws-walkthrough blocks, in order) against a real server
// started as `make run` starts it, as TestREADMEWalkthrough does for the
// curl one. Variables a block sets (lower case, and the AWS_ ones it
// exports) are carried into the blocks after it. Without `aws` on PATH the
// test is skipped loudly, and fails under CI=true (.ci/run installs
// Debian's awscli).
func TestReadmeAWSWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("the walkthrough needs bash")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		msg := "\n\n*** aws NOT FOUND on PATH: the README's aws CLI walkthrough is NOT RUN. " +
			"Install the aws CLI (Debian: apt-get install awscli). ***\n\n"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// The reader's own AWS configuration (AWS_ variables, a profile with
	// another endpoint, region or credentials) must not change what the
	// blocks do: they set what they need.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	dir := t.TempDir()
	env = append(env, "AWS_CONFIG_FILE="+filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-credentials"), "AWS_EC2_METADATA_DISABLED=true")
	w := walkthrough{
		name: "aws walkthrough",
		info: "sh aws-walkthrough",
		// What each block must print; the README and this list change together.
		want: [][]string{
			{`"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:hello-aws"`, `"creationDate"`},
			{`"executionArn": "arn:aws:states:us-east-1:123456789012:execution:hello-aws:first"`, `"status": "SUCCEEDED"`, `Hello, world!`},
			{"1\tExecutionStarted", "2\tPassStateEntered", "6\tExecutionSucceeded"},
			{"hello-aws", "StateMachineDoesNotExist"},
		},
		waitHint: "wait for what it shows instead",
		carry:    `^([a-z][a-z0-9_]*|AWS_[A-Z_]+)$`,
		env:      env,
		timeout:  60 * time.Second,
	}
	blocks := w.blocks(t)
	w.run(t, blocks, startServer(t))
}
