# Regenerates the preprocessing references in this folder (see NOTE.md).
#   cd testdata/preprocess && /usr/bin/python3 gen.py /work/shared/zoo/images/cat.jpg
# Needs numpy, cv2 (python3-opencv 4.6) and skimage (python3-skimage 0.19).
import sys

import cv2
import numpy as np
from skimage.transform import resize

cat = cv2.imread(sys.argv[1])  # BVLC examples/images/cat.jpg, BGR uint8 360x480
cv2.imwrite("cat48x36.png", cv2.resize(cat, (48, 36), interpolation=cv2.INTER_AREA))
img = cv2.imread("cat48x36.png")  # the exact-check input, BGR uint8
mean = (104, 117, 123)


def save(name, blob):
    np.save(name, np.ascontiguousarray(blob, dtype=np.float32))


# --- preset opencv: cv2.dnn.blobFromImage, first (only) image of the batch ---
save("cv_resize_37x29.npy", cv2.dnn.blobFromImage(img, 1.0, (37, 29), mean, swapRB=False, crop=False)[0])
save("cv_crop_37x29.npy", cv2.dnn.blobFromImage(img, 1.0, (37, 29), mean, swapRB=False, crop=True)[0])
save("cv_up_swap_53x41.npy", cv2.dnn.blobFromImage(img, 0.017, (53, 41), mean, swapRB=True, crop=False)[0])
save("cv_half_24x18.npy", cv2.dnn.blobFromImage(img, 1.0, (24, 18), (0, 0, 0), swapRB=False, crop=False)[0])
gray = cv2.imread("cat48x36.png", cv2.IMREAD_GRAYSCALE)
save("cv_gray_37x29.npy", cv2.dnn.blobFromImage(gray, 1 / 127.5, (37, 29), 127.5, swapRB=False, crop=False)[0])
# JPEG decoders differ, so this one is compared loosely (opt-in test).
save("cv_catjpg_37x29.npy", cv2.dnn.blobFromImage(cat, 1.0, (37, 29), mean, swapRB=False, crop=False)[0])


# --- preset caffe: pycaffe's caffe.io.load_image + Transformer.preprocess ---
def load_image(path):
    # skimage.img_as_float(imread(path)).astype(float32) for an 8-bit RGB file
    return (cv2.imread(path)[:, :, ::-1] / 255.0).astype(np.float32)


def resize_image(im, new_dims):
    # caffe.io.resize_image, with skimage's resize pinned to the behaviour
    # of the skimage releases pycaffe was written for (no anti-aliasing).
    im_min, im_max = im.min(), im.max()
    im_std = (im - im_min) / (im_max - im_min)
    resized_std = resize(im_std, new_dims, order=1, mode="constant", anti_aliasing=False)
    return (resized_std * (im_max - im_min) + im_min).astype(np.float32)


def preprocess(im, dims, mean, raw_scale=255.0, input_scale=None):
    x = resize_image(im, dims).transpose(2, 0, 1)[[2, 1, 0], :, :]
    x = x * np.float32(raw_scale)
    x -= np.asarray(mean, dtype=np.float32)[:, None, None]
    if input_scale is not None:
        x *= np.float32(input_scale)
    return x


rgb = load_image("cat48x36.png")
save("caffe_down_37x29.npy", preprocess(rgb, (29, 37), mean))
save("caffe_up_53x41.npy", preprocess(rgb, (41, 53), mean, input_scale=0.5))
