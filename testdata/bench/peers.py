#!/usr/bin/python3
"""Forward-pass time of caffetool against OpenCV's dnn module, per zoo net.

Run by hand (not in CI), with a Python that has cv2 and numpy (Debian:
python3-opencv; /usr/bin/python3), from the repository root:

    CAFFETOOL_SHARED=/work/shared /usr/bin/python3 testdata/bench/peers.py

Both tools run the same prototxt with the same weights, written by
`caffetool init --random-bn-stats` from the layers' fillers. Deploy files
without fillers (AlexNet, VGG-16, ResNet-50, SqueezeNet) would get all-zero
weights, and all-zero activations take different branches than real ones
(pooling, ReLU), so their weights come from a copy of the prototxt with
msra/xavier fillers added; the timed runs use the original file.
Each net runs at batch 1 on --threads threads (default 2); the time is the
median of --iterations forwards after one warm-up. caffetool's time comes
from `caffetool bench --json`; OpenCV's from net.forward() with the default
backend and CPU target, cv2.setNumThreads(threads). The output is a
Markdown table; ratio = caffetool / OpenCV (below 1: caffetool is faster).

On a shared machine, --repeat N runs every measurement N times, the
tools taking turns, and keeps each tool's lowest median: the run least
disturbed by other load. --baseline BINARY adds a column for another
caffetool build (an older commit, say).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

NETS = [
    # (name, zoo path, input blob)
    ("AlexNet", "bvlc_alexnet/deploy.prototxt", "data"),
    ("GoogLeNet", "bvlc_googlenet/deploy.prototxt", "data"),
    ("VGG-16", "vgg/VGG_ILSVRC_16_layers_deploy.prototxt", "data"),
    ("ResNet-50", "resnet/ResNet-50-deploy.prototxt", "data"),
    ("SqueezeNet v1.1", "squeezenet_v1.1/deploy.prototxt", "data"),
    ("MobileNet v1", "mobilenet_v1/mobilenet_deploy.prototxt", "data"),
    ("MobileNet v2", "mobilenet_v2/mobilenet_v2_deploy.prototxt", "data"),
]


def with_fillers(src, dst):
    """Writes src to dst, giving every convolution and inner product a
    weight filler when the file has none at all."""
    with open(src) as f:
        text = f.read()
    if "weight_filler" not in text:
        text = re.sub(r"(convolution_param\s*\{)", r'\1 weight_filler { type: "msra" }', text)
        text = re.sub(r"(inner_product_param\s*\{)", r'\1 weight_filler { type: "xavier" }', text)
    with open(dst, "w") as f:
        f.write(text)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr))
    return p.stdout


def opencv_ms(cv2, np, prototxt, weights, shape, threads, iterations):
    cv2.setNumThreads(threads)
    net = cv2.dnn.readNetFromCaffe(prototxt, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    x = np.random.default_rng(1).uniform(-1, 1, size=shape).astype(np.float32)
    net.setInput(x)
    net.forward()  # warm-up
    times = []
    for _ in range(iterations):
        net.setInput(x)
        t = time.perf_counter()
        net.forward()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.environ.get("CAFFETOOL_SHARED", "/work/shared"))
    ap.add_argument("--caffetool", help="caffetool binary (default: go build ./cmd/caffetool)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--only", help="comma-separated net names to run")
    ap.add_argument("--no-opencv", action="store_true", help="time caffetool only")
    ap.add_argument("--repeat", type=int, default=1, help="measurements per tool and net; the lowest median is kept")
    ap.add_argument("--baseline", help="another caffetool binary to time as well (extra column)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="caffetool-peers-")
    try:
        tool = args.caffetool
        if not tool:
            tool = os.path.join(tmp, "caffetool")
            run(["go", "build", "-o", tool, "./cmd/caffetool"])
        cv2 = np = None
        if not args.no_opencv:
            import cv2
            import numpy as np
        only = set(args.only.split(",")) if args.only else None
        base_col = " baseline ms |" if args.baseline else ""
        print("| net | input | caffetool ms |%s OpenCV %s ms | ratio |" % (base_col, cv2.__version__ if cv2 else "-"))
        print("|---|---|---:|%s---:|---:|" % ("---:|" if args.baseline else ""))
        for name, rel, blob in NETS:
            if only and name not in only:
                continue
            prototxt = os.path.join(args.shared, "zoo", rel)
            weights = os.path.join(tmp, rel.replace("/", "_") + ".caffemodel")
            init_proto = os.path.join(tmp, "init.prototxt")
            with_fillers(prototxt, init_proto)
            run([tool, "init", init_proto, "-o", weights, "--seed", "1", "--random-bn-stats"])
            def bench(binary):
                rep = json.loads(run([binary, "bench", prototxt, weights, "--batch", "1",
                                      "--threads", str(args.threads), "--iterations", str(args.iterations), "--json"]))
                return rep["median_ms"], rep["inputs"][blob]
            ours = theirs = base = float("inf")
            for _ in range(max(1, args.repeat)):
                ms, shape = bench(tool)
                ours = min(ours, ms)
                if args.baseline:
                    base = min(base, bench(args.baseline)[0])
                if cv2 is not None:
                    theirs = min(theirs, opencv_ms(cv2, np, prototxt, weights, shape, args.threads, args.iterations))
            cell, ratio = "-", "-"
            if cv2 is not None:
                cell, ratio = "%.1f" % theirs, "%.2f" % (ours / theirs)
            base_cell = " %.1f |" % base if args.baseline else ""
            print("| %s | %s | %.1f |%s %s | %s |" % (name, "x".join(map(str, shape)), ours, base_cell, cell, ratio), flush=True)
            os.remove(weights)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
