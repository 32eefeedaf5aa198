package graph

import (
	"errors"
	"strings"
	"testing"
)

// shapeCase is one table row: op applied to bottoms in with nTops tops
// gives want (when wantErr is empty) or an error mentioning every
// comma-separated fragment of wantErr, tagged with field wantField.
type shapeCase struct {
	name      string
	op        Op
	in        []Shape
	nTops     int // 0 means 1, -1 means none
	want      []Shape
	params    []Shape // checked when non-nil and op is Parametric
	wantErr   string
	wantField string
}

func runShapeCases(t *testing.T, cases []shapeCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := c.nTops
			switch {
			case n == 0:
				n = 1
			case n < 0:
				n = 0
			}
			got, err := c.op.InferShapes(c.in, n)
			if c.wantErr != "" {
				checkErr(t, err, c.wantErr, c.wantField)
				return
			}
			if err != nil {
				t.Fatalf("InferShapes(%v): %v", c.in, err)
			}
			if !shapesEqual(got, c.want) {
				t.Fatalf("InferShapes(%v) = %v, want %v", c.in, got, c.want)
			}
			if c.params != nil {
				p, ok := c.op.(Parametric)
				if !ok {
					t.Fatalf("%T is not Parametric", c.op)
				}
				ps, err := p.ParamShapes(c.in)
				if err != nil {
					t.Fatalf("ParamShapes: %v", err)
				}
				if !shapesEqual(ps, c.params) {
					t.Fatalf("ParamShapes(%v) = %v, want %v", c.in, ps, c.params)
				}
			}
		})
	}
}

// checkErr requires err to mention each comma-separated fragment of want
// and, when field is set, to carry that field tag.
func checkErr(t *testing.T, err error, want, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", want)
	}
	for _, frag := range strings.Split(want, ",") {
		if !strings.Contains(err.Error(), strings.TrimSpace(frag)) {
			t.Fatalf("error %q does not mention %q", err, frag)
		}
	}
	if field != "" {
		var fe *fieldError
		var le *LayerError
		switch {
		case errors.As(err, &le):
			if le.Field != field {
				t.Fatalf("LayerError field = %q, want %q (%v)", le.Field, field, err)
			}
		case errors.As(err, &fe):
			if fe.Field != field {
				t.Fatalf("error field = %q, want %q (%v)", fe.Field, field, err)
			}
		default:
			t.Fatalf("error %v carries no field, want %q", err, field)
		}
	}
}

func shapesEqual(a, b []Shape) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func sh(d ...int) Shape { return Shape(d) }

func shapes(s ...Shape) []Shape { return s }
