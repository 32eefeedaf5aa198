#!/usr/bin/python3
"""Reference outputs for the SSD PriorBox and DetectionOutput layers.

No Caffe with the SSD layers is available here, so these references come
from OpenCV's dnn module (cv2 4.6.0, Debian's python3-opencv), which
re-implements both layers after weiliu89/caffe's prior_box_layer.cpp and
detection_output_layer.cpp. They are NOT Caffe outputs. The Go tests
(exec/fork_ref_test.go) mirror the layer parameters written below.

cv2 writes DetectionOutput rows sorted by score within an image (Caffe
groups them by label) and pads the top to keep_top_k rows per image with
zero rows; the Go test compares the rows as a set and drops the padding.

Run from this directory: /usr/bin/python3 gen_ref.py
Writes <case>_<blob>.npy (little-endian float32, C order).
"""
import os

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, arr):
    np.save(os.path.join(HERE, name + ".npy"), np.ascontiguousarray(arr, dtype="<f4"))


def input_layer(name, shape):
    dims = " ".join("dim: %d" % d for d in shape)
    return 'layer { name: "%s" type: "Input" top: "%s" input_param { shape { %s } } }\n' % (name, name, dims)


def run(proto, inputs, out):
    path = os.path.join(HERE, "_tmp.prototxt")
    with open(path, "w") as f:
        f.write(proto)
    try:
        net = cv2.dnn.readNetFromCaffe(path)
    finally:
        os.remove(path)
    for k, v in inputs.items():
        net.setInput(v, k)
    return net.forward(out)


# ---- PriorBox ----
# Only the bottoms' shapes matter; their values are zeros.
PRIOR_CASES = {
    # Two min sizes with max sizes, ratios 2 and 3 flipped, 4 variances,
    # step from the image/feature sizes (80/4, 60/3).
    "prior_a": ((1, 2, 3, 4), (1, 3, 60, 80), """
      min_size: 10 min_size: 25 max_size: 20 max_size: 40
      aspect_ratio: 2 aspect_ratio: 3 flip: true clip: false
      variance: 0.1 variance: 0.1 variance: 0.2 variance: 0.2"""),
    # Clipped, one variance, explicit step, no flip, boxes larger than the image.
    "prior_b": ((1, 1, 3, 3), (1, 3, 50, 64), """
      min_size: 30 aspect_ratio: 2 flip: false clip: true
      variance: 0.1 step: 16"""),
    # img_h/img_w and step_h/step_w given, offset 0.25, a ratio repeated by
    # its own flip (0.5 then 2) so the de-duplication matters. cv2 4.6 takes
    # the image size from bottom 1 even when img_h/img_w are set, so the
    # image blob has that size here; and its clip defaults to true, so clip
    # is always written out.
    "prior_c": ((1, 1, 2, 3), (1, 3, 100, 90), """
      min_size: 20 max_size: 50 aspect_ratio: 0.5 aspect_ratio: 2 flip: true clip: false
      img_h: 100 img_w: 90 step_h: 30 step_w: 25 offset: 0.25
      variance: 0.1 variance: 0.2 variance: 0.3 variance: 0.4"""),
}

for case, (fshape, ishape, param) in PRIOR_CASES.items():
    proto = input_layer("feat", fshape) + input_layer("img", ishape)
    proto += 'layer { name: "pb" type: "PriorBox" bottom: "feat" bottom: "img" top: "pb" prior_box_param { %s } }\n' % param
    out = run(proto, {"feat": np.zeros(fshape, np.float32), "img": np.zeros(ishape, np.float32)}, "pb")
    save(case + "_out", out)


# ---- DetectionOutput ----
# Inputs: loc [N, P*L*4] ~ N(0, loc_scale), conf = softmax over classes of
# N(0, 2.5^2) logits, reshaped to [N, P*classes].
def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def detection_case(case, seed, num, classes, share, prior_case, param, loc_scale=0.4):
    # The priors come from a PriorBox layer of the same net: cv2's Python
    # binding would read a 3-D input array as a multi-channel image.
    fshape, ishape, prior_param = PRIOR_CASES[prior_case]
    rng = np.random.default_rng(seed)
    p = np.load(os.path.join(HERE, prior_case + "_out.npy")).shape[2] // 4
    loc_classes = 1 if share else classes
    loc = (rng.standard_normal((num, p * loc_classes * 4)) * loc_scale).astype(np.float32)
    logits = rng.standard_normal((num, p, classes)) * 2.5
    conf = softmax(logits, 2).reshape(num, p * classes).astype(np.float32)
    proto = input_layer("loc", loc.shape) + input_layer("conf", conf.shape)
    proto += input_layer("feat", fshape) + input_layer("img", ishape)
    proto += 'layer { name: "pb" type: "PriorBox" bottom: "feat" bottom: "img" top: "prior" prior_box_param { %s } }\n' % prior_param
    proto += ('layer { name: "det" type: "DetectionOutput" bottom: "loc" bottom: "conf" bottom: "prior" '
              'top: "det" detection_output_param { %s } }\n' % param)
    out = run(proto, {"loc": loc, "conf": conf, "feat": np.zeros(fshape, np.float32),
                      "img": np.zeros(ishape, np.float32)}, "det")
    save(case + "_loc", loc)
    save(case + "_conf", conf)
    save(case + "_out", out)


# Shared locations, CENTER_SIZE, background 0, threshold, NMS, keep_top_k
# across classes, batch of 2. Priors: prior_a (3*4 cells x 12 = 144).
detection_case("det_a", 1, 2, 4, True, "prior_a", """
  num_classes: 4 share_location: true background_label_id: 0
  nms_param { nms_threshold: 0.45 top_k: 40 }
  code_type: CENTER_SIZE keep_top_k: 12 confidence_threshold: 0.3""")
# Per-class locations, CORNER, no background class, no nms top_k. Priors:
# prior_c (24). Covered by hand in Go instead: variance_encoded_in_target
# (cv2 rejects it with Caffe's two-channel prior blob) and nms_param.eta
# (cv2 4.6 ignores it: eta 0.9 gave this very output).
detection_case("det_b", 2, 1, 3, False, "prior_c", """
  num_classes: 3 share_location: false background_label_id: -1
  nms_param { nms_threshold: 0.6 }
  code_type: CORNER keep_top_k: 100 confidence_threshold: 0.2""", loc_scale=0.5)
# Background 1 (not the first class), small nms top_k. (cv2's schema has no
# CORNER_SIZE; that code type is covered by hand in Go.)
detection_case("det_c", 3, 1, 3, True, "prior_c", """
  num_classes: 3 share_location: true background_label_id: 1
  nms_param { nms_threshold: 0.3 top_k: 5 }
  code_type: CENTER_SIZE keep_top_k: 50 confidence_threshold: 0.1""")
