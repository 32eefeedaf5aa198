package htmlreport

// Data is the plain summary the report shows next to the graph. It mirrors
// `inspect --json` so that this package does not depend on the CLI: Layers
// are aligned with the graph's Nodes (Layers[i] describes Nodes[i]).
type Data struct {
	Name     string
	File     string
	Phase    string
	Inputs   []Blob
	Outputs  []Blob
	Layers   []Layer
	Totals   Totals
	Warnings []string
	Weights  *WeightsSummary // nil when no weights were loaded
}

// Blob is a named blob shape; a nil Shape is unknown.
type Blob struct {
	Name  string
	Shape []int
}

// Layer is one layer's static cost and parameter blobs.
type Layer struct {
	Index       int
	Name        string
	Type        string
	Params      int64
	MACs        int64
	OutputBytes int64
	ParamBlobs  []ParamBlob
}

// ParamBlob describes one parameter blob of a layer.
type ParamBlob struct {
	Shape     []int
	Name      string // non-empty when shared by name
	LrMult    float32
	DecayMult float32
	Filler    string
	Loaded    bool
}

// Totals are the sums over all layers.
type Totals struct {
	Layers      int
	Params      int64
	MACs        int64
	OutputBytes int64
}

// WeightsSummary is how a caffemodel matched the net.
type WeightsSummary struct {
	File     string
	Unused   []string
	Missing  []string
	Mismatch []string
}
