package awsjson

// Every operation of the SDK's client is served, so the tests of
// unsupported (unsupported_test.go) call one that exists only in the test
// binary, registered as an operation sfn lacks would be.
func init() {
	register(map[string]op{
		"SfnTestUnsupported": {role: RoleAdmin, fn: unsupported("SfnTestUnsupported", "it exists only in the tests")},
	})
}
