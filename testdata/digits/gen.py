#!/usr/bin/python3
"""Renders the digits 0-9 as MNIST-like 28x28 8-bit grayscale PNGs.

MNIST style: a white digit on black, the stroke drawn large and then
scaled so that its bounding box fits 20x20 (aspect kept), placed in a
28x28 image with its centre of mass at the centre. Run from this folder:
/usr/bin/python3 gen.py (OpenCV 4.6, NumPy).
"""
import cv2
import numpy as np

for d in range(10):
    big = np.zeros((200, 200), np.uint8)
    cv2.putText(big, str(d), (40, 170), cv2.FONT_HERSHEY_SIMPLEX, 6.0, 255, 18, cv2.LINE_AA)
    ys, xs = np.nonzero(big)
    crop = big[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    f = 20.0 / max(h, w)
    nh, nw = max(1, round(h * f)), max(1, round(w * f))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((28, 28), np.float64)
    y0, x0 = (28 - nh) // 2, (28 - nw) // 2
    canvas[y0:y0 + nh, x0:x0 + nw] = small
    # Shift the centre of mass to the image centre, as MNIST does.
    m = cv2.moments(canvas.astype(np.float32))
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    shift = np.float32([[1, 0, 14 - cx], [0, 1, 14 - cy]])
    out = cv2.warpAffine(canvas.astype(np.float32), shift, (28, 28), flags=cv2.INTER_LINEAR)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    cv2.imwrite("%d.png" % d, out)
