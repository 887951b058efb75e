// Package graph draws a compiled definition as a Graphviz (DOT) or Mermaid
// graph: states are nodes; Next, Default, Choice rules and Catch are edges;
// Parallel branches and Map processors are subgraphs. The CLI (`sfn graph`)
// and the HTTP API (GET /v1/state-machines/{name}/graph) share it, so both
// draw the same picture.
package graph
