// Package htmlreport renders `caffetool inspect --html`: one self-contained
// HTML file (inline CSS, SVG and script, no network access) with the net's
// graph laid out in Go, a sortable per-layer table, a per-block summary and
// a header with totals and loading warnings.
//
// The graph is a layered top-to-bottom drawing: in-place chains (e.g.
// BatchNorm → Scale → ReLU rewriting one blob) are folded into the box of
// the layer that produced the blob, boxes are ranked by longest path,
// ordered by barycentric sweeps and placed without overlaps by an exact
// per-rank least-squares fit (pool adjacent violators).
package htmlreport
