// Package ui is sfn's web console, served under /ui/: state machines and
// their versions drawn as graphs, with a panel that tests one state
// (POST /v1/test-state) and shows each stage of its data flow, executions
// listed by status, and one execution as its graph coloured by what
// happened, with its history as a table, updated live from the event
// stream; schedules with their next fire times, counters and the
// executions they started (paused with a note, resumed, triggered,
// backfilled, deleted from their page); and webhook endpoints with their
// delivery counts and dead letters, delivered again from the page.
//
// The console is plain JavaScript, CSS and SVG embedded with go:embed: no
// build step, no CDN, nothing fetched from elsewhere. Its files are not
// secret and are served without a token; every call for data goes to /v1
// with the Authorization header, which the console asks for when the API
// answers 401.
package ui
