#!/usr/bin/python3
"""Baseline: caffetool's CPU forward pass against OpenCV's dnn module.

Run by hand from anywhere (not part of CI):

    /usr/bin/python3 testdata/bench/baseline.py [--n 10] [--zoo DIR]

Needs Go, OpenCV's Python bindings (cv2) and NumPy, and the shared model
zoo (CAFFETOOL_SHARED, default ../shared next to the repository).

For GoogLeNet, ResNet-50 and MobileNet v1 it

1. builds caffetool and testdata/bench/forward (a small program that
   loads, compiles and forwards a net in one process),
2. writes weights with `caffetool init --random-bn-stats` (ResNet-50's
   deploy file has no fillers, which would mean all-zero weights, so its
   weights are made from a copy with msra/xavier fillers added; the
   forward passes use the original file),
3. feeds both the same 1x3x224x224 input (zoo/images/cat.jpg through
   cv2.dnn.blobFromImage, mean 104,117,123),
4. times, each in its own process, one warm-up forward and then N timed
   forwards at batch 1 (with --repeat R, R such processes per tool, taking
   turns, keeping each tool's lowest median): OpenCV with cv2.setNumThreads(2), caffetool inside
   the forward program (so process start, parsing, weight loading and
   compiling are measured separately, not mixed into the forward time),
5. takes each process's peak RSS from os.wait4, and times one complete
   `caffetool run` on the .npy for the end-to-end cost,
6. compares the outputs: max |prob difference| and the logits (the blob
   the final Softmax reads) relative to their largest magnitude.

It prints a Markdown table (the one in README.md).
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# name, deploy prototxt (under zoo/), blob the final Softmax reads
NETS = [
    ("GoogLeNet", "bvlc_googlenet/deploy.prototxt", "loss3/classifier"),
    ("ResNet-50", "resnet/ResNet-50-deploy.prototxt", "fc1000"),
    ("MobileNet v1", "mobilenet_v1/mobilenet_deploy.prototxt", "fc7"),
]
SHAPE = "data=1,3,224,224"


def run_child(argv):
    """Runs argv, returns (stdout, wall seconds, peak RSS in MiB)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("%s failed:\n%s" % (" ".join(argv), err.decode()))
    return out.decode(), wall, ru.ru_maxrss / 1024.0


def opencv_child(prototxt, weights, x_path, n, prob_out, logits, logits_out):
    """Child process: time OpenCV and save its outputs; prints JSON."""
    import cv2

    cv2.setNumThreads(2)
    net = cv2.dnn.readNetFromCaffe(prototxt, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    x = np.load(x_path)
    net.setInput(x, "data")
    t0 = time.perf_counter()
    net.forward()  # first pass: OpenCV sets the net up (fusion, buffers)
    first = time.perf_counter() - t0
    times = []
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(n):
        t0 = time.perf_counter()
        net.forward()
        times.append(time.perf_counter() - t0)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / max(n, 1)
    prob, lg = net.forward(["prob", logits])
    np.save(prob_out, prob)
    np.save(logits_out, lg)
    print(json.dumps({"first_ms": first * 1e3, "times_ms": [t * 1e3 for t in times],
                      "median_ms": float(np.median(times)) * 1e3, "min_ms": min(times) * 1e3, "cpu_ms": cpu * 1e3, "threads": cv2.getNumThreads(),
                      "version": cv2.__version__}))


def idle_child():
    import cv2  # noqa: F401  (the RSS of the interpreter with cv2 loaded)


def with_fillers(src, dst):
    """Copies a deploy prototxt, adding weight fillers when it has none."""
    text = open(src).read()
    if "weight_filler" not in text:
        text = re.sub(r"convolution_param\s*{", 'convolution_param { weight_filler { type: "msra" }', text)
        text = re.sub(r"inner_product_param\s*{", 'inner_product_param { weight_filler { type: "xavier" }', text)
    with open(dst, "w") as f:
        f.write(text)


def machine():
    model = platform.processor()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(open("/proc/meminfo").readline().split()[1])
        mem = ", %.1f GiB RAM" % (kb / 2**20)
    except (OSError, ValueError, IndexError):
        pass
    return "%s, %d cores%s, %s %s" % (model, os.cpu_count(), mem, platform.system(), platform.release())


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child-opencv":
        a = sys.argv[2:]
        opencv_child(a[0], a[1], a[2], int(a[3]), a[4], a[5], a[6])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-idle":
        idle_child()
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10, help="timed forward passes (after one warm-up)")
    ap.add_argument("--zoo", default=os.path.join(os.environ.get("CAFFETOOL_SHARED", os.path.join(REPO, "..", "shared")), "zoo"))
    ap.add_argument("--repeat", type=int, default=1,
                    help="measure each tool R times, taking turns, and keep its lowest median (for busy machines)")
    ap.add_argument("--keep", help="work folder to keep (default: a temporary one)")
    args = ap.parse_args()

    import cv2

    work = args.keep or tempfile.mkdtemp(prefix="caffetool-bench-")
    os.makedirs(work, exist_ok=True)
    tool = os.path.join(work, "caffetool")
    fwd = os.path.join(work, "forward")
    for out, pkg in ((tool, "./cmd/caffetool"), (fwd, "./testdata/bench/forward")):
        subprocess.run(["go", "build", "-o", out, pkg], cwd=REPO, check=True)
    gover = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()

    cat = os.path.join(args.zoo, "images", "cat.jpg")
    img = cv2.imread(cat)
    if img is None:
        sys.exit("cannot read %s: pass --zoo or set CAFFETOOL_SHARED" % cat)
    x = cv2.dnn.blobFromImage(img, 1.0, (224, 224), (104, 117, 123)).astype(np.float32)
    x_path = os.path.join(work, "input.npy")
    np.save(x_path, x)

    load0 = " ".join(open("/proc/loadavg").read().split()[:3])
    _, _, idle_rss = run_child([sys.executable, __file__, "--child-idle"])
    rows = []
    for name, rel, logits in NETS:
        proto = os.path.join(args.zoo, rel)
        stem = re.sub(r"\W+", "_", name)
        init_proto = os.path.join(work, stem + ".init.prototxt")
        with_fillers(proto, init_proto)
        weights = os.path.join(work, stem + ".caffemodel")
        subprocess.run([tool, "init", init_proto, "-o", weights, "--random-bn-stats", "--input", SHAPE],
                       check=True, stdout=subprocess.DEVNULL)

        cv_prob, cv_logits = (os.path.join(work, stem + s) for s in (".cv_prob.npy", ".cv_logits.npy"))
        ct_prob, ct_logits = (os.path.join(work, stem + s) for s in (".ct_prob.npy", ".ct_logits.npy"))
        cv = ct = None
        cv_rss = ct_rss = 0
        for _ in range(max(args.repeat, 1)):
            out, _, rss = run_child([sys.executable, __file__, "--child-opencv", proto, weights, x_path,
                                     str(args.n), cv_prob, logits, cv_logits])
            cv_rss, r = max(cv_rss, rss), json.loads(out)
            if cv is None or r["median_ms"] < cv["median_ms"]:
                cv = r
            out, _, rss = run_child([fwd, "-net", proto, "-weights", weights, "-input", SHAPE, "-in", x_path,
                                     "-n", str(args.n), "-save", "prob=" + ct_prob, "-save", logits + "=" + ct_logits])
            ct_rss, r = max(ct_rss, rss), json.loads(out)
            if ct is None or r["median_ms"] < ct["median_ms"]:
                ct = r

        # End to end: one `caffetool run` (start, parse, load, compile, 1 forward).
        _, run_wall, run_rss = run_child([tool, "run", proto, weights, "data=" + x_path, "--top", "1"])

        p_cv, p_ct = np.load(cv_prob).reshape(-1), np.load(ct_prob).reshape(-1)
        l_cv, l_ct = np.load(cv_logits).reshape(-1), np.load(ct_logits).reshape(-1)
        rows.append({
            "net": name, "cv_ms": cv["median_ms"], "ct_ms": ct["median_ms"],
            "cv_min": cv["min_ms"], "ct_min": min(ct["times_ms"]),
            "ratio": ct["median_ms"] / cv["median_ms"], "ratio_min": min(ct["times_ms"]) / cv["min_ms"],
            "ct_load_ms": ct["load_ms"], "ct_compile_ms": ct["compile_ms"], "ct_first_ms": ct["first_ms"],
            "cv_first_ms": cv["first_ms"], "cv_cpu": cv["cpu_ms"], "ct_cpu": ct["cpu_ms"], "run_s": run_wall,
            "cv_rss": cv_rss, "ct_rss": ct_rss, "run_rss": run_rss,
            "prob_diff": float(np.abs(p_cv - p_ct).max()),
            "logit_rel": float(np.abs(l_cv - l_ct).max() / max(np.abs(l_cv).max(), 1e-30)),
            "logit_max": float(np.abs(l_cv).max()),
            "top1": "same" if p_cv.argmax() == p_ct.argmax() else "%d vs %d" % (p_cv.argmax(), p_ct.argmax()),
        })
        print("%s done" % name, file=sys.stderr)

    print("%s; %s; OpenCV %s (%d threads); NumPy %s" % (datetime.date.today().isoformat(), machine(),
                                                         cv["version"], cv["threads"], np.__version__))
    print("%s; median of %d forwards after 1 warm-up (lowest of %d runs), batch 1, 3x224x224; "
          "load average %s -> %s\n" % (gover, args.n, max(args.repeat, 1), load0, " ".join(open("/proc/loadavg").read().split()[:3])))
    print("| net | OpenCV ms median (min) | caffetool ms median (min) | caffetool / OpenCV median (min) | OpenCV peak RSS | caffetool peak RSS | "
          "max abs Δprob | max abs Δlogits / max abs logit | top-1 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print("| %s | %.1f (%.1f) | %.1f (%.1f) | %.2f× (%.2f×) | %.0f MiB | %.0f MiB | %.2g | %.2g | %s |" % (
            r["net"], r["cv_ms"], r["cv_min"], r["ct_ms"], r["ct_min"], r["ratio"], r["ratio_min"], r["cv_rss"], r["ct_rss"], r["prob_diff"], r["logit_rel"], r["top1"]))
    print("\nSetup costs (not in the forward times above):\n")
    print("| net | caffetool parse+load+infer ms | compile ms | first forward ms | OpenCV first forward ms | "
          "`caffetool run` end to end s | its peak RSS | CPU ms per forward, OpenCV / caffetool | max abs logit |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %s | %.0f | %.1f | %.0f | %.0f | %.2f | %.0f MiB | %.0f / %.0f | %.3g |" % (
            r["net"], r["ct_load_ms"], r["ct_compile_ms"], r["ct_first_ms"], r["cv_first_ms"], r["run_s"],
            r["run_rss"], r["cv_cpu"], r["ct_cpu"], r["logit_max"]))
    print("\nPeak RSS of an idle Python with NumPy and cv2 imported: %.0f MiB (part of every OpenCV figure)." % idle_rss)
    if not args.keep:
        print("(work files in %s)" % work, file=sys.stderr)


if __name__ == "__main__":
    main()
