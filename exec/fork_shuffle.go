package exec

import "github.com/caffetool/caffetool/graph"

// shuffleChannelLayer is ShuffleNet's channel shuffle: channels viewed as a
// (group, C/group) matrix are transposed, so top channel j·group + i is
// bottom channel i·(C/group) + j.
type shuffleChannelLayer struct {
	io                   opIO
	num, group, perGroup int
	plane                int
}

func newShuffleChannel(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.ShuffleChannel](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 1, 1, 1); err != nil {
		return nil, err
	}
	if err := sameCount(n, in, out); err != nil {
		return nil, err
	}
	s := in[0]
	if len(s) < 2 {
		return nil, opErr(n, "bottom[0]", "needs at least 2 axes, got shape %v", s)
	}
	if op.Group < 1 || s[1]%op.Group != 0 {
		return nil, opErr(n, "group", "%d does not divide the %d channels", op.Group, s[1])
	}
	return &shuffleChannelLayer{io: newOpIO(n, in, out), num: s[0], group: op.Group,
		perGroup: s[1] / op.Group, plane: s.CountRange(2, len(s))}, nil
}

func (l *shuffleChannelLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	dst := tops[0].Data
	src := inputCopy(bottoms[0].Data, dst)
	c := l.group * l.perGroup
	for n := 0; n < l.num; n++ {
		base := n * c * l.plane
		for i := 0; i < l.group; i++ {
			for j := 0; j < l.perGroup; j++ {
				from := base + (i*l.perGroup+j)*l.plane
				to := base + (j*l.group+i)*l.plane
				copy(dst[to:to+l.plane], src[from:from+l.plane])
			}
		}
	}
	return nil
}
