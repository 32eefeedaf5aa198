package caffe

import (
	"fmt"
	"strings"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// State selects the layers of a net like Caffe's NetState: the phase, a
// level and a set of stages. The zero value is the TEST phase at level 0
// with no stages.
type State struct {
	Phase  string // "TEST" or "TRAIN"; empty = the net's own state.phase, TEST if unset
	Level  int
	Stages []string
}

// ParsePhase maps "TRAIN"/"TEST" (any case) to the proto enum.
func ParsePhase(s string) (caffepb.Phase, error) {
	switch strings.ToUpper(s) {
	case "TRAIN":
		return caffepb.Phase_TRAIN, nil
	case "TEST":
		return caffepb.Phase_TEST, nil
	}
	return 0, fmt.Errorf("unknown phase %q (want TRAIN or TEST)", s)
}

// NetState merges the caller's state with the net's own `state` field the
// way Caffe's Net(file, phase, level, stages) constructor does: phase and
// level are set by the caller, the caller's stages are appended to those the
// file lists. An empty Phase keeps the file's phase (TEST when unset).
func (s State) NetState(net *caffepb.NetParameter) (*caffepb.NetState, error) {
	st := &caffepb.NetState{}
	if net.GetState() != nil {
		st = proto.Clone(net.GetState()).(*caffepb.NetState)
	}
	if s.Phase != "" {
		p, err := ParsePhase(s.Phase)
		if err != nil {
			return nil, err
		}
		st.Phase = p.Enum()
	} else if st.Phase == nil {
		st.Phase = caffepb.Phase_TEST.Enum()
	}
	st.Level = proto.Int32(int32(s.Level))
	st.Stage = append(st.Stage, s.Stages...)
	return st, nil
}

// StateMeetsRule is Caffe's Net::StateMeetsRule: every condition the rule
// sets must hold (phase equal, level within [min_level, max_level], all of
// its stages present, none of its not_stages present).
func StateMeetsRule(state *caffepb.NetState, rule *caffepb.NetStateRule) bool {
	if rule.Phase != nil && rule.GetPhase() != state.GetPhase() {
		return false
	}
	if rule.MinLevel != nil && state.GetLevel() < rule.GetMinLevel() {
		return false
	}
	if rule.MaxLevel != nil && state.GetLevel() > rule.GetMaxLevel() {
		return false
	}
	has := func(stage string) bool {
		for _, s := range state.GetStage() {
			if s == stage {
				return true
			}
		}
		return false
	}
	for _, s := range rule.GetStage() {
		if !has(s) {
			return false
		}
	}
	for _, s := range rule.GetNotStage() {
		if has(s) {
			return false
		}
	}
	return true
}

// FilterNet returns a copy of net (already upgraded) holding only the layers
// that the state selects, as Caffe's Net::FilterNet: a layer without include
// rules is kept unless one of its exclude rules is met; a layer with include
// rules is kept only if one of them is met. A layer with both kinds of rules
// is an error, as in Caffe. The result keeps net's own `state` field (so
// that writing it back does not pin a phase); the effective state is the
// caller's to keep.
//
// The result shares the kept LayerParameter messages with net (the text
// parser's record of skipped fork fields is keyed by message instance);
// clone it before editing if net must stay intact.
func FilterNet(net *caffepb.NetParameter, state *caffepb.NetState) (*caffepb.NetParameter, error) {
	out := &caffepb.NetParameter{
		Name:          net.Name,
		Input:         net.Input,
		InputShape:    net.InputShape,
		InputDim:      net.InputDim,
		ForceBackward: net.ForceBackward,
		DebugInfo:     net.DebugInfo,
		Layers:        net.Layers,
		State:         net.State,
	}
	for i, l := range net.Layer {
		if len(l.Include) > 0 && len(l.Exclude) > 0 {
			return nil, &graph.LayerError{Layer: l.GetName(), Type: l.GetType(), Field: "include",
				Err: fmt.Errorf("layer %d specifies both include and exclude rules; specify either, not both", i)}
		}
		keep := len(l.Include) == 0
		for _, r := range l.Exclude {
			if StateMeetsRule(state, r) {
				keep = false
				break
			}
		}
		for _, r := range l.Include {
			if StateMeetsRule(state, r) {
				keep = true
				break
			}
		}
		if keep {
			out.Layer = append(out.Layer, l)
		}
	}
	return out, nil
}
