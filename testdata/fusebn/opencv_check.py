#!/usr/bin/env python3
"""Cross-check `caffetool fuse-bn` with OpenCV's own Caffe importer.

For each net: fill weights with `caffetool init --random-bn-stats` (unless a
caffemodel is given), fuse with `caffetool fuse-bn`, load the original and
the fused files with cv2.dnn.readNetFromCaffe, run both on the same random
U(-1,1) input and compare the final value of every blob the two nets share
(net outputs included): max |a - b| <= 1e-4 * max(1, max |a|) per blob, a
being the original net's value (the tolerance caffetool's compare uses).
OpenCV's layer fusion is switched off, so the original net really runs
OpenCV's BatchNorm and Scale layers, an implementation independent of ours.

Deploy files often carry no fillers, and Caffe's default filler is the
constant 0: a net whose convolutions are all zero would make the check
vacuous. So init runs on a copy of the prototxt in which every convolution
and inner product without a weight_filler gets an msra one (and a small
uniform bias filler), and every scale_param without fillers gets uniform
ones. Only the weights come from that copy; the nets compared are the
original file and the fused one.

Usage:
  opencv_check.py CAFFETOOL                       tinynet, plus ResNet-50 and
                                                  MobileNet v1/v2 from the zoo
                                                  when CAFFETOOL_SHARED is set
  opencv_check.py CAFFETOOL NET.prototxt [W.caffemodel]

Exit status: 0 when every net agrees (or, with a SKIP line, when cv2 is not
installed), 1 on a disagreement or a failing caffetool command.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TINYNET = os.path.join(HERE, "..", "example", "tinynet.prototxt")
ZOO = [
    "resnet/ResNet-50-deploy.prototxt",
    "mobilenet_v1/mobilenet_deploy.prototxt",
    "mobilenet_v2/mobilenet_v2_deploy.prototxt",
]
RTOL = 1e-4


def caffetool(tool, *args):
    """Runs caffetool and returns its stdout; raises on a non-zero exit."""
    try:
        p = subprocess.run([tool, *args], capture_output=True, text=True)
    except OSError as e:
        raise RuntimeError("cannot run %s: %s" % (tool, e))
    if p.returncode != 0:
        raise RuntimeError("caffetool %s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p.stdout


# Fillers added where a block has none (see the module doc).
FILLERS = {
    "convolution_param": [("weight_filler", 'weight_filler { type: "msra" }'),
                          ("bias_filler", 'bias_filler { type: "uniform" min: -0.1 max: 0.1 }')],
    "inner_product_param": [("weight_filler", 'weight_filler { type: "msra" }'),
                            ("bias_filler", 'bias_filler { type: "uniform" min: -0.1 max: 0.1 }')],
    "scale_param": [("filler", 'filler { type: "uniform" min: 0.5 max: 1.5 }'),
                    ("bias_filler", 'bias_filler { type: "uniform" min: -0.5 max: 0.5 }')],
}


def block_end(text, start):
    """Index just past the '}' closing the block whose '{' is at start."""
    depth, i, quote = 0, start, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced braces")


def with_fillers(text):
    """Adds the FILLERS a block lacks at its own top level."""
    out, pos = [], 0
    pattern = re.compile(r"\b(%s)\s*:?\s*\{" % "|".join(FILLERS))
    for m in pattern.finditer(text):
        if m.start() < pos:
            continue
        brace = m.end() - 1
        end = block_end(text, brace)
        body = text[brace + 1:end - 1]
        # Only the block's own fields count, not those of nested messages.
        top, depth = [], 0
        for tok in re.findall(r"[A-Za-z_]\w*|[{}]", body):
            depth += tok == "{"
            depth -= tok == "}"
            if depth == 0 and tok not in "{}":
                top.append(tok)
        add = " ".join(f for name, f in FILLERS[m.group(1)] if name not in top)
        out.append(text[pos:brace + 1] + (" " + add + " " if add else ""))
        pos = brace + 1
    out.append(text[pos:])
    return "".join(out)


def check(cv2, np, tool, prototxt, weights, work):
    """Fuses one net and compares OpenCV's outputs; returns True on success."""
    name = os.path.relpath(prototxt)
    if weights is None:
        with open(prototxt) as f:
            filled = os.path.join(work, "filled.prototxt")
            with open(filled, "w") as g:
                g.write(with_fillers(f.read()))
        weights = os.path.join(work, "weights.caffemodel")
        caffetool(tool, "init", filled, "-o", weights, "--random-bn-stats")
    fused = os.path.join(work, "fused")
    out = caffetool(tool, "fuse-bn", prototxt, weights, "-o", fused)
    summary = [l for l in out.splitlines() if "BatchNorm/Scale layer(s) folded" in l]
    with open(fused + ".prototxt") as f:
        text = f.read()
    if 'type: "BatchNorm"' in text or 'type: "Scale"' in text:
        print("note: %s: some BatchNorm/Scale layers were not folded" % name)

    info_a = json.loads(caffetool(tool, "inspect", "--json", prototxt))
    info_b = json.loads(caffetool(tool, "inspect", "--json", fused + ".prototxt"))
    rng = np.random.default_rng(20240601)
    feed = {i["name"]: rng.uniform(-1, 1, i["shape"]).astype(np.float32) for i in info_a["inputs"]}

    def last_writers(info):
        """blob -> the layer that writes its final value (not Input layers),
        as (layer name, its single top or None)."""
        w = {}
        for layer in info["layers"]:
            for top in layer["tops"]:
                single = top if len(layer["tops"]) == 1 else None
                w[top] = None if layer["type"] == "Input" else (layer["name"], single)
        return {b: l for b, l in w.items() if l is not None}

    wa, wb = last_writers(info_a), last_writers(info_b)
    blobs = [b for b in wa if b in wb]
    outputs = {o["name"] for o in info_a["outputs"]}
    missing = outputs - set(blobs)
    if missing:
        print("FAIL %s: outputs %s are not in the fused net" % (name, sorted(missing)))
        return False

    def forward(p, w, layers):
        net = cv2.dnn.readNetFromCaffe(p, w)
        net.enableFusion(False)
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        for k, v in feed.items():
            net.setInput(v, k)
        # OpenCV's importer names some layers (convolutions) after their
        # single top rather than the layer name.
        known = set(net.getLayerNames())
        names = []
        for layer, top in layers:
            if layer not in known and top in known:
                layer = top
            names.append(layer)
        return net.forward(names)

    outs_a = forward(prototxt, weights, [wa[b] for b in blobs])
    outs_b = forward(fused + ".prototxt", fused + ".caffemodel", [wb[b] for b in blobs])
    ok, worst_blob, worst, failed = True, None, -1.0, 0
    for blob, a, b in zip(blobs, outs_a, outs_b):
        a, b = a.astype(np.float64), b.astype(np.float64)
        if a.shape != b.shape or not (np.isfinite(a).all() and np.isfinite(b).all()):
            print("FAIL %s: blob %s: shapes %s vs %s or values not finite" % (name, blob, a.shape, b.shape))
            ok = False
            continue
        diff = float(np.abs(a - b).max()) if a.size else 0.0
        peak = float(np.abs(a).max()) if a.size else 0.0
        ratio = diff / (RTOL * max(1.0, peak))
        if ratio > worst:
            worst_blob, worst = blob, ratio
        failed += ratio > 1
        if (ratio > 1 and failed <= 5) or blob in outputs:
            print("%s %s: blob %s %s max |diff| %.3g, max |ref| %.3g, spread %.3g (%.3g of tolerance)" % (
                "FAIL" if ratio > 1 else "PASS", name, blob, list(a.shape), diff, peak,
                float(a.max() - a.min()) if a.size else 0.0, ratio))
            ok = ok and ratio <= 1
    print("     %s: %d blobs compared, %d beyond tolerance, worst %s at %.3g of tolerance" % (
        name, len(blobs), failed, worst_blob, worst))
    if summary:
        print("     %s: %s" % (name, summary[0]))
    return ok


def main(argv):
    if len(argv) < 2 or len(argv) > 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import cv2
        import numpy as np
    except ImportError as e:
        print("SKIP: OpenCV's Python bindings are not installed (%s); install python3-opencv" % e)
        return 0
    tool = os.path.abspath(argv[1])
    if len(argv) >= 3:
        nets = [(argv[2], argv[3] if len(argv) == 4 else None)]
    else:
        nets = [(TINYNET, None)]
        shared = os.environ.get("CAFFETOOL_SHARED")
        if shared:
            nets += [(os.path.join(shared, "zoo", z), None) for z in ZOO]
        else:
            print("note: CAFFETOOL_SHARED not set; zoo nets skipped")
    print("OpenCV %s" % cv2.__version__)
    ok = True
    for prototxt, weights in nets:
        with tempfile.TemporaryDirectory() as work:
            try:
                ok = check(cv2, np, tool, prototxt, weights, work) and ok
            except (RuntimeError, cv2.error) as e:
                print("FAIL %s: %s" % (prototxt, e))
                ok = False
    print("all nets agree" if ok else "DISAGREEMENT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
