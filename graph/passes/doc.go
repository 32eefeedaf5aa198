// Package passes rewrites a graph.Graph for inference: FuseBatchNorm folds
// BatchNorm and Scale layers into the layer that feeds them, DeadCode
// deletes layers nobody can observe. Passes only rewire values, edit params
// and delete nodes; they never fuse away a value the caller asked to keep.
// Run applies passes in order and re-infers shapes; each pass returns a
// Report naming every candidate layer and what happened to it.
//
// # Folding math (Caffe semantics)
//
// A BatchNorm layer with use_global_stats holds b0 = mean·s, b1 = var·s and
// b2 = [s], where s is the running-average normalizer. Caffe divides by it
// unless it is zero:
//
//	s = b2 == 0 ? 0 : 1/b2
//	a = γ / sqrt(s·var + eps)          (γ = 1, β = 0 without a Scale)
//	W' = a·W
//	b' = a·(b − s·mean) + β            (b = 0 if the producer had no bias)
//
// Here var and mean are the stored blobs b1 and b0 and everything is per
// output channel c. A lone Scale is the same with the normalization
// dropped: a = γ, b' = γ·b + β (β = 0 without bias_term). Chains such as
// BatchNorm → Scale, or any run of BatchNorm/Scale layers, are composed as
// per-channel affine maps in float64 and applied once; the results are
// stored as float32.
//
// "W[c]" depends on the producer's weight layout:
//
//   - Convolution (also grouped and depthwise): [C_out, C_in/group, k...];
//     output channel c is axis 0 whatever the group, so row c is scaled.
//   - Deconvolution: [C_in, C_out/group, k...]; with G = group, input
//     channel i belongs to group g = i / (C_in/G) and W[i, j, ...] feeds
//     output channel g·(C_out/G) + j, whose a scales it.
//   - InnerProduct: [N_out, K] (row c scaled), or [K, N_out] with
//     transpose (column c scaled).
//
// A producer without a bias gets bias_term = true and a new bias blob; if
// it had param specs, the bias spec follows Caffe's convention of twice the
// weight's lr_mult and decay_mult 0 (the Report notes it).
//
// # Rewiring
//
// The value the chain's last layer writes survives and becomes the
// producer's top: distinct tops (conv → bn_out → scale_out) leave the
// producer writing scale_out; an in-place chain (conv1 → BN → Scale, all on
// conv1) leaves it writing conv1. The producer's old top and the
// intermediates are deleted, and each blob's versions are renumbered in
// production order (a later in-place ReLU's conv1#3 becomes conv1#1), so
// the graph is exactly what loading the fused net from a file would give.
// Report.Renamed lists the changed value names; Run carries keep names
// across them.
//
// # Refusals
//
// A BatchNorm or Scale layer is left untouched, and reported with the
// reason, when:
//
//   - BatchNorm has use_global_stats false (batch statistics);
//   - Scale has two bottoms (a run-time factor), or is not per-channel:
//     axis must be the channel axis 1 and num_axes 1 (num_axes -1 is also
//     accepted on a 2-axis InnerProduct output); a negative axis needs
//     inferred shapes;
//   - the layer has other than one bottom and one top;
//   - the producer is not a Convolution/Deconvolution/InnerProduct (e.g.
//     "producer is Pooling, not a Convolution/Deconvolution/InnerProduct"),
//     has several bottoms/tops sharing its weights, or its channel axis is
//     not 1 (InnerProduct axis other than 1, or a negative axis without
//     inferred shapes);
//   - the value between producer and layer has another reader (a branch
//     that needs the unnormalized value);
//   - that value, or an intermediate of the chain, is in keep: a kept blob
//     name protects every version of the blob, "blob#k" just that version
//     ("blob#0" is the first version, whose value name is plain "blob");
//   - a param of the producer or the layer is shared by name with another
//     layer (folding would change the other layer too);
//   - params are not loaded (nil), have the wrong count, or do not match
//     the producer's number of output channels;
//   - s·var + eps ≤ 0 for some channel (Caffe itself outputs inf/NaN).
//
// A chain stops before a layer that cannot join it; that layer is then
// considered on its own and reports its own reason.
//
// # Dead code
//
// DeadCode removes a layer when none of its tops is read, kept, or a net
// output, and it has no effect beyond its tops. Net outputs are the values
// nobody reads before the first pass runs (Run fixes them), so removing a
// Silence layer makes the branch it silenced dead, while the net's real
// outputs stay. Input and data layers, HDF5Output, loss layers and layers
// with a non-zero loss_weight, and unknown layer types are never removed.
package passes
