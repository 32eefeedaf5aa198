package htmlreport

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/caffetool/caffetool/graph"
)

// keyParams is the short parameter summary drawn inside a node.
func keyParams(op graph.Op) string {
	switch o := op.(type) {
	case *graph.Conv:
		s := fmt.Sprintf("k=%s s=%s p=%s", dims(o.Kernel, "?"), dims(o.Stride, "1"), dims(o.Pad, "0"))
		if d := dims(o.Dilation, "1"); d != "1" {
			s += " d=" + d
		}
		switch {
		case o.Depthwise:
			s += " dw"
		case o.Group > 1:
			s += fmt.Sprintf(" g=%d", o.Group)
		}
		return s + fmt.Sprintf(" out=%d", o.NumOutput)
	case *graph.Pool:
		if o.Global {
			return o.Method.String() + " global"
		}
		return fmt.Sprintf("%s k=%s s=%s p=%s", o.Method, pair(o.KernelH, o.KernelW), pair(o.StrideH, o.StrideW), pair(o.PadH, o.PadW))
	case *graph.SPP:
		return fmt.Sprintf("%s h=%d", o.Method, o.PyramidHeight)
	case *graph.InnerProduct:
		return fmt.Sprintf("out=%d", o.NumOutput)
	case *graph.Embed:
		return fmt.Sprintf("out=%d", o.NumOutput)
	case *graph.Recurrent:
		return fmt.Sprintf("out=%d", o.NumOutput)
	case *graph.LRN:
		return fmt.Sprintf("size=%d", o.LocalSize)
	case *graph.Eltwise:
		return o.Operation.String()
	case *graph.Concat:
		if o.Axis != 1 {
			return fmt.Sprintf("axis=%d", o.Axis)
		}
	case *graph.Softmax:
		if o.Axis != 1 {
			return fmt.Sprintf("axis=%d", o.Axis)
		}
	case *graph.Dropout:
		return fmt.Sprintf("ratio=%g", o.Ratio)
	case *graph.ReLU:
		if o.NegativeSlope != 0 {
			return fmt.Sprintf("slope=%g", o.NegativeSlope)
		}
	case *graph.Permute:
		return fmt.Sprintf("order=%v", o.Order)
	case *graph.Flatten:
		return fmt.Sprintf("axis=%d", o.Axis)
	case *graph.Reshape:
		return fmt.Sprintf("dims=%v", o.Dims)
	case *graph.DetectionOutput:
		return fmt.Sprintf("classes=%d", o.NumClasses)
	case *graph.Interp:
		if o.ZoomFactor > 1 {
			return fmt.Sprintf("zoom=%d", o.ZoomFactor)
		}
	case *graph.Upsample:
		if o.Scale > 0 {
			return fmt.Sprintf("scale=%d", o.Scale)
		}
	}
	return ""
}

// dims prints per-axis values: one value for all axes, or "h×w".
func dims(v []int, def string) string {
	if len(v) == 0 {
		return def
	}
	s := make([]string, len(v))
	for i, d := range v {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, "×")
}

func pair(h, w int) string {
	if h == w {
		return fmt.Sprint(h)
	}
	return fmt.Sprintf("%d×%d", h, w)
}

// opFields prints every field of an op struct, one "Name: value" per line.
// Reflection keeps it complete for every op without a formatter each.
func opFields(op graph.Op) string {
	v := reflect.ValueOf(op)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return fmt.Sprint(v.Interface())
	}
	var lines []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if !t.Field(i).IsExported() {
			continue
		}
		lines = append(lines, t.Field(i).Name+": "+fieldString(v.Field(i)))
	}
	return strings.Join(lines, "\n")
}

var fillerType = reflect.TypeOf(graph.Filler{})

func fieldString(f reflect.Value) string {
	if f.Type() == fillerType {
		return f.Interface().(graph.Filler).String()
	}
	switch f.Kind() {
	case reflect.Pointer:
		if f.IsNil() {
			return "unset"
		}
		return fieldString(f.Elem())
	case reflect.Slice:
		if f.Len() == 0 {
			return "[]"
		}
		if s, ok := f.Interface().(graph.Shape); ok {
			return s.String()
		}
		parts := make([]string, f.Len())
		for i := range parts {
			parts[i] = fieldString(f.Index(i))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case reflect.Struct:
		var parts []string
		t := f.Type()
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				parts = append(parts, t.Field(i).Name+":"+fieldString(f.Field(i)))
			}
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	if f.CanInterface() {
		return fmt.Sprint(f.Interface())
	}
	return "?"
}

// category picks a node's colour class.
func category(op graph.Op) string {
	switch op.(type) {
	case *graph.Input, *graph.DataSource, *graph.Parameter:
		return "data"
	case *graph.Conv, *graph.Im2col:
		return "conv"
	case *graph.InnerProduct, *graph.Embed, *graph.Recurrent, *graph.LSTMUnit:
		return "fc"
	case *graph.Pool, *graph.SPP:
		return "pool"
	case *graph.BatchNorm, *graph.Scale, *graph.Bias, *graph.LRN, *graph.MVN, *graph.Normalize:
		return "norm"
	case *graph.ReLU, *graph.PReLU, *graph.ELU, *graph.Sigmoid, *graph.TanH, *graph.AbsVal, *graph.BNLL,
		*graph.Power, *graph.Exp, *graph.Log, *graph.Threshold, *graph.Swish, *graph.Clip, *graph.Dropout, *graph.ReLU6:
		return "act"
	case *graph.Eltwise, *graph.Concat:
		return "merge"
	case *graph.Softmax, *graph.Loss, *graph.Accuracy, *graph.ArgMax, *graph.DetectionOutput:
		return "out"
	case *graph.Unknown:
		return "unknown"
	}
	return "move"
}
