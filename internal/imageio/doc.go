// Package imageio decodes images and turns them into network input blobs
// the way pycaffe's caffe.io (preset "caffe") or OpenCV's
// cv2.dnn.blobFromImage (preset "opencv") would.
package imageio
