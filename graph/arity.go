package graph

import "fmt"

// Arity is how many bottoms and tops a layer accepts (Caffe's
// ExactNum/Min/Max Bottom/Top Blobs). Max -1 means unbounded.
type Arity struct {
	MinBottoms, MaxBottoms int
	MinTops, MaxTops       int
	// EqualBottomsTops: one top per bottom (Convolution).
	EqualBottomsTops bool
	// TopsPlusOne: one top fewer than bottoms (Filter).
	TopsPlusOne bool
}

func exact(b, t int) Arity { return Arity{MinBottoms: b, MaxBottoms: b, MinTops: t, MaxTops: t} }
func span(b0, b1, t0, t1 int) Arity {
	return Arity{MinBottoms: b0, MaxBottoms: b1, MinTops: t0, MaxTops: t1}
}

// lossArity lists the loss layers whose arity differs from LossLayer's
// (two bottoms, one top). Tops may be absent: Caffe adds an anonymous top
// to loss layers itself (AutoTopBlobs).
var lossArity = map[string]Arity{
	"SoftmaxWithLoss":         span(2, 2, 0, 2),
	"InfogainLoss":            span(2, 3, 0, 2),
	"ContrastiveLoss":         span(3, 3, 0, 1),
	"EuclideanLoss":           span(2, 2, 0, 1),
	"HingeLoss":               span(2, 2, 0, 1),
	"MultinomialLogisticLoss": span(2, 2, 0, 1),
	"SigmoidCrossEntropyLoss": span(2, 2, 0, 1),
}

// recurrentBlobs is the number of hidden-state blobs of a recurrent layer
// kind (h for RNN; h and c for LSTM), 0 for an unknown kind.
func recurrentBlobs(kind string) int {
	switch kind {
	case "RNN":
		return 1
	case "LSTM":
		return 2
	}
	return 0
}

// ArityOf gives the bottom/top counts op accepts. Ops whose type is not
// known to Caffe (Unknown, fork losses) accept anything here.
func ArityOf(op Op) Arity {
	switch o := op.(type) {
	case *Input:
		return span(0, 0, 1, -1)
	case *DataSource:
		if o.Kind == "Python" {
			return span(0, -1, 0, -1)
		}
		return span(0, 0, 1, -1)
	case *Parameter:
		return exact(0, 1)
	case *Conv:
		return Arity{MinBottoms: 1, MaxBottoms: -1, MinTops: 1, MaxTops: -1, EqualBottomsTops: true}
	case *Pool:
		if o.Method == PoolMax {
			return span(1, 1, 1, 2)
		}
		return exact(1, 1)
	case *Scale, *Bias, *Interp, *Upsample:
		return span(1, 2, 1, 1)
	case *Eltwise:
		return span(2, -1, 1, 1)
	case *Concat:
		return span(1, -1, 1, 1)
	case *Slice, *Split:
		return span(1, 1, 1, -1)
	case *Silence:
		return span(1, -1, 0, 0)
	case *Crop, *BatchReindex, *PriorBox:
		return exact(2, 1)
	case *Filter:
		return Arity{MinBottoms: 2, MaxBottoms: -1, MinTops: 1, MaxTops: -1, TopsPlusOne: true}
	case *Loss:
		if a, ok := lossArity[o.Kind]; ok {
			return a
		}
		return span(1, -1, 0, -1)
	case *Accuracy:
		return span(2, 2, 1, 2)
	case *Recurrent:
		nb := 2
		nt := 1
		if o.ExposeHidden {
			nb += recurrentBlobs(o.Kind)
			nt += recurrentBlobs(o.Kind)
		}
		return span(nb, nb+1, nt, nt)
	case *LSTMUnit:
		return exact(3, 2)
	case *HDF5Output:
		return exact(2, 0)
	case *DetectionOutput:
		return span(3, 4, 1, 1)
	case *Unknown:
		return span(0, -1, 0, -1)
	}
	// Every other op (activations, normalizations, reshapes, ...) maps one
	// bottom to one top.
	return exact(1, 1)
}

// Check reports whether nb bottoms and nt tops fit the arity.
func (a Arity) Check(nb, nt int) error {
	if nb < a.MinBottoms || (a.MaxBottoms >= 0 && nb > a.MaxBottoms) {
		return ferr("bottom", "wrong number of bottoms: got %d, want %s", nb, countRange(a.MinBottoms, a.MaxBottoms))
	}
	if nt < a.MinTops || (a.MaxTops >= 0 && nt > a.MaxTops) {
		return ferr("top", "wrong number of tops: got %d, want %s", nt, countRange(a.MinTops, a.MaxTops))
	}
	if a.EqualBottomsTops && nb != nt {
		return ferr("top", "wrong number of tops: got %d, want one per bottom (%d)", nt, nb)
	}
	if a.TopsPlusOne && nt != nb-1 {
		return ferr("top", "wrong number of tops: got %d, want one fewer than the bottoms (%d)", nt, nb-1)
	}
	return nil
}

func countRange(lo, hi int) string {
	switch {
	case lo == hi:
		return fmt.Sprint(lo)
	case hi < 0:
		return fmt.Sprintf("at least %d", lo)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

// CheckArity checks the bottom and top counts of op.
func CheckArity(op Op, nBottoms, nTops int) error {
	return ArityOf(op).Check(nBottoms, nTops)
}
