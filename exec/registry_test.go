package exec

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"testing"
)

// kindTyped lists, for each op whose Type() returns its Kind field, the
// Caffe type strings package caffe decodes into it.
var kindTyped = map[string][]string{
	"DataSource": {"Data", "ImageData", "MemoryData", "DummyData", "HDF5Data", "WindowData", "AnnotatedData", "Python"},
	"Loss": {"SoftmaxWithLoss", "InfogainLoss", "ContrastiveLoss", "EuclideanLoss", "HingeLoss",
		"MultinomialLogisticLoss", "SigmoidCrossEntropyLoss"},
	"Recurrent": {"RNN", "LSTM"},
	"Unknown":   nil, // by definition not runnable
}

// aliases are fork spellings decoded into an op with another canonical Type.
var aliases = []string{"ConvolutionDepthwise", "DepthwiseConvolution"}

// knownTypes reads graph/types.go: every string literal a Type() method
// returns, plus the kinds and aliases above. An op added to graph with a
// Kind-valued Type() and not listed in kindTyped fails the test.
func knownTypes(t *testing.T) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../graph/types.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "Type" || fn.Recv == nil || len(fn.Recv.List) != 1 {
			continue
		}
		recv := fn.Recv.List[0].Type
		if st, ok := recv.(*ast.StarExpr); ok {
			recv = st.X
		}
		typ := recv.(*ast.Ident).Name
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			ret, ok := n.(*ast.ReturnStmt)
			if !ok || len(ret.Results) != 1 {
				return true
			}
			switch r := ret.Results[0].(type) {
			case *ast.BasicLit:
				s, err := strconv.Unquote(r.Value)
				if err != nil {
					t.Fatalf("%s.Type: %v", typ, err)
				}
				known[s] = true
			case *ast.SelectorExpr:
				kinds, ok := kindTyped[typ]
				if !ok {
					t.Errorf("graph op %s returns %s.%s from Type(): list its type strings in kindTyped", typ, "o", r.Sel.Name)
				}
				for _, k := range kinds {
					known[k] = true
				}
			default:
				t.Errorf("graph op %s: Type() returns an expression this test cannot read", typ)
			}
			return true
		})
	}
	for _, a := range aliases {
		known[a] = true
	}
	if len(known) < 50 {
		t.Fatalf("read only %d types from graph/types.go", len(known))
	}
	return known
}

// Every layer type graph knows is either runnable or listed as unsupported
// with a reason; nothing is both, and neither table names a type graph does
// not know.
func TestRegistryCoverage(t *testing.T) {
	known := knownTypes(t)
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		_, run := registry[k]
		reason, unsup := unsupported[k]
		switch {
		case run && unsup:
			t.Errorf("%s is both in registry and unsupported", k)
		case run:
			t.Logf("%-26s runs", k)
		case unsup && reason == "":
			t.Errorf("%s is unsupported without a reason", k)
		case unsup:
			t.Logf("%-26s unsupported: %s", k, reason)
		default:
			t.Errorf("%s is neither in registry nor in unsupported", k)
		}
	}
	for k := range registry {
		if !known[k] {
			t.Errorf("registry has %s, which graph does not know", k)
		}
	}
	for k := range unsupported {
		if !known[k] {
			t.Errorf("unsupported lists %s, which graph does not know", k)
		}
	}
}
