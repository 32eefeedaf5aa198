package caffe

import (
	"errors"
	"reflect"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

const filterNet = `
name: "filter"
layer { name: "train_data" type: "Input" include { phase: TRAIN } }
layer { name: "test_data" type: "Input" include { phase: TEST } }
layer { name: "always" type: "ReLU" }
layer { name: "not_test" type: "ReLU" exclude { phase: TEST } }
layer { name: "level2" type: "ReLU" include { min_level: 2 } }
layer { name: "upto1" type: "ReLU" include { max_level: 1 } }
layer { name: "band" type: "ReLU" include { min_level: 1 max_level: 2 } }
layer { name: "stage_a" type: "ReLU" include { stage: "a" } }
layer { name: "stage_ab" type: "ReLU" include { stage: "a" stage: "b" } }
layer { name: "not_a" type: "ReLU" include { not_stage: "a" } }
layer { name: "a_or_test" type: "ReLU" include { stage: "a" } include { phase: TEST } }
layer { name: "excl_a" type: "ReLU" exclude { stage: "a" } }
layer { name: "train_b" type: "ReLU" include { phase: TRAIN stage: "b" } }
`

func filteredNames(t *testing.T, text string, st State) []string {
	t.Helper()
	net, _ := parseNetString(t, text)
	ns, err := st.NetState(net)
	if err != nil {
		t.Fatal(err)
	}
	out, err := FilterNet(net, ns)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range out.Layer {
		names = append(names, l.GetName())
	}
	return names
}

func TestFilterNet(t *testing.T) {
	cases := []struct {
		name  string
		state State
		want  []string
	}{
		{"default is TEST", State{},
			[]string{"test_data", "always", "upto1", "not_a", "a_or_test", "excl_a"}},
		{"TRAIN", State{Phase: "TRAIN"},
			[]string{"train_data", "always", "not_test", "upto1", "not_a", "excl_a"}},
		{"TEST level 2", State{Phase: "test", Level: 2},
			[]string{"test_data", "always", "level2", "band", "not_a", "a_or_test", "excl_a"}},
		{"TEST level 1 stage a", State{Level: 1, Stages: []string{"a"}},
			[]string{"test_data", "always", "upto1", "band", "stage_a", "a_or_test"}},
		{"TRAIN stages a b", State{Phase: "TRAIN", Stages: []string{"b", "a"}},
			[]string{"train_data", "always", "not_test", "upto1", "stage_a", "stage_ab", "a_or_test", "train_b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := filteredNames(t, filterNet, c.state); !reflect.DeepEqual(got, c.want) {
				t.Errorf("kept %q, want %q", got, c.want)
			}
		})
	}
}

// The net's own state supplies the phase when the caller leaves it empty
// and its stages are extended by the caller's; the level is the caller's,
// as Caffe's Net(file, phase, level, stages) sets it.
func TestNetStateMerge(t *testing.T) {
	text := `state { phase: TRAIN level: 7 stage: "a" }` + filterNet
	if got, want := filteredNames(t, text, State{}),
		[]string{"train_data", "always", "not_test", "upto1", "stage_a", "a_or_test"}; !reflect.DeepEqual(got, want) {
		t.Errorf("kept %q, want %q", got, want)
	}
	net, _ := parseNetString(t, text)
	ns, err := State{Phase: "TEST", Level: 3, Stages: []string{"b"}}.NetState(net)
	if err != nil {
		t.Fatal(err)
	}
	if ns.GetPhase() != caffepb.Phase_TEST || ns.GetLevel() != 3 || !reflect.DeepEqual(ns.GetStage(), []string{"a", "b"}) {
		t.Errorf("merged state = %v", ns)
	}
	if _, err := (State{Phase: "VALIDATE"}).NetState(net); err == nil {
		t.Error("unknown phase accepted")
	}
}

func TestFilterIncludeAndExclude(t *testing.T) {
	net, _ := parseNetString(t, `layer { name: "both" type: "ReLU" include { phase: TEST } exclude { phase: TRAIN } }`)
	ns, _ := State{}.NetState(net)
	_, err := FilterNet(net, ns)
	var le *graph.LayerError
	if !errors.As(err, &le) || le.Layer != "both" || le.Field != "include" {
		t.Fatalf("err = %v, want a LayerError for layer both", err)
	}
}

func TestStateMeetsRule(t *testing.T) {
	state := &caffepb.NetState{Phase: caffepb.Phase_TRAIN.Enum(), Stage: []string{"x"}}
	rule := func(text string) *caffepb.NetStateRule {
		r := &caffepb.NetStateRule{}
		if _, err := ParseText("rule", []byte(text), r, TextOptions{}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for text, want := range map[string]bool{
		``:                              true,
		`phase: TRAIN`:                  true,
		`phase: TEST`:                   false,
		`min_level: 0`:                  true,
		`min_level: 1`:                  false,
		`max_level: -1`:                 false,
		`stage: "x"`:                    true,
		`stage: "x" stage: "y"`:         false,
		`not_stage: "y"`:                true,
		`not_stage: "y" not_stage: "x"`: false,
	} {
		if got := StateMeetsRule(state, rule(text)); got != want {
			t.Errorf("rule {%s}: %v, want %v", text, got, want)
		}
	}
}
