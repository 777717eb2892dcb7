#!/usr/bin/python3
"""Writes the .npy fixtures of tests/core/test_npy.cpp with NumPy itself, so the C++ reader is
tested against real NumPy output (CI needs no Python: the files are committed).

    /usr/bin/python3 tests/reference/make_npy_fixtures.py
"""
import os

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "npy")
os.makedirs(out, exist_ok=True)
np.save(os.path.join(out, "f4_2x3.npy"), np.arange(6, dtype="<f4").reshape(2, 3) / 4)
np.save(os.path.join(out, "f8_4.npy"), np.array([0.1, -2.5, 1e30, 3.0], dtype="<f8"))
np.save(os.path.join(out, "u1_2x2.npy"), np.array([[0, 255], [1, 7]], dtype=np.uint8))
np.save(os.path.join(out, "b1_3.npy"), np.array([True, False, True]))
np.save(os.path.join(out, "i4_scalar.npy"), np.array(-7, dtype="<i4"))
np.save(os.path.join(out, "f4_1x1x2x2.npy"), np.array([[[[1, 2], [3, 4]]]], dtype="<f4"))
np.save(os.path.join(out, "f4_fortran.npy"), np.asfortranarray(np.ones((2, 3), dtype="<f4")))
np.save(os.path.join(out, "i8_2.npy"), np.array([1, 2], dtype="<i8"))
np.save(os.path.join(out, "f4_empty_0x3.npy"), np.zeros((0, 3), dtype="<f4"))
print("wrote", sorted(os.listdir(out)))
