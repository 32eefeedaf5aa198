# Regenerates the .npy fixtures of package npy with NumPy:
#   cd internal/npy/testdata && /usr/bin/python3 gen.py
# Every array holds arange(6) (or its bool / transposed variant) so the
# tests can check values without reading NumPy.
import numpy as np

base = np.arange(6).reshape(2, 3)
for name, dt in [("f4", "<f4"), ("f8", "<f8"), ("i8", "<i8"), ("i4", "<i4"),
                 ("u1", "|u1"), ("be_f4", ">f4"), ("be_i2", ">i2"), ("i1", "|i1"),
                 ("u2", "<u2"), ("u4", "<u4"), ("u8", "<u8")]:
    np.save(name + ".npy", base.astype(dt))
np.save("b1.npy", base % 2 == 1)
# Fortran order: the same logical 2x3 array, stored column-major.
np.save("fortran_f4.npy", np.asfortranarray(base.astype("<f4")))
np.save("fortran_3d.npy", np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)))
np.save("scalar.npy", np.array(2.5, dtype="<f4"))
np.save("empty.npy", np.zeros((0, 3), dtype="<f4"))
np.save("vec.npy", np.arange(5, dtype="<f4"))
# Format 2.0 and 3.0 headers (4-byte length).
with open("v2.npy", "wb") as f:
    np.lib.format.write_array(f, base.astype("<f4"), version=(2, 0))
with open("v3.npy", "wb") as f:
    np.lib.format.write_array(f, base.astype("<f4"), version=(3, 0))
