#!/usr/bin/python3
"""Reads the NIfTI files fbd wrote (tests/data/test_nifti.cpp, case "nifti: export files for
nibabel") with nibabel and checks that nibabel sees what fbd meant to write.

    nifti_nibabel_check.py EXPORT_DIR FIXTURE_DIR

For each NAME.npy in EXPORT_DIR (fbd's voxels, shape [channels, nz, ny, nx]) the file
NAME.nii or NAME.nii.gz must hold the same values (np.asarray(img.dataobj): with scaling), in the
type its name says (u8, i16, f32), with img.affine equal to NAME.affine.npy and both forms set
(codes 1). mask_SOURCE.nii.gz must carry exactly the qform and sform of FIXTURE_DIR/SOURCE.nii.
Exits 77 (ctest: skipped) where nibabel is not installed.
"""
import glob
import os
import sys

try:
    import nibabel as nib
    import numpy as np
except ImportError as e:
    print(f"SKIPPED: nibabel is not installed for {sys.executable} ({e}); apt-get install python3-nibabel")
    sys.exit(77)

export_dir, fixture_dir = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


checked = 0
for npy in sorted(glob.glob(os.path.join(export_dir, "*.npy"))):
    if npy.endswith(".affine.npy"):
        continue
    base = npy[: -len(".npy")]
    name = os.path.basename(base)
    path = base + (".nii.gz" if name.endswith("_gz") else ".nii")
    img = nib.load(path)
    want = np.load(npy)  # [c, z, y, x]
    want = np.transpose(want, (3, 2, 1, 0))
    if want.shape[3] == 1:
        want = want[..., 0]
    got = np.asarray(img.dataobj)
    dtype = {"u8": np.uint8, "i16": np.int16, "f32": np.float32}[name.split("_")[0]]
    check(img.get_data_dtype() == dtype, f"{path}: stored as {img.get_data_dtype()}, expected {np.dtype(dtype)}")
    check(got.shape == want.shape, f"{path}: shape {got.shape}, expected {want.shape}")
    if got.shape == want.shape:
        check(np.array_equal(got.astype(np.float64), want.astype(np.float64)),
              f"{path}: values differ (max |diff| {np.abs(got - want).max()})")
    aff = np.load(base + ".affine.npy").astype(np.float64)
    check(np.allclose(img.affine, aff, atol=1e-4), f"{path}: affine\n{img.affine}\nexpected\n{aff}")
    hdr = img.header
    check(int(hdr["qform_code"]) == 1 and int(hdr["sform_code"]) == 1, f"{path}: qform/sform codes not 1")
    # The qform is a float32 quaternion: near a 180-degree rotation (quatern_a ~ 0) its matrix
    # is only good to ~1e-3 (nibabel's own writer gives the same quaternion and error here).
    check(np.allclose(hdr.get_qform(), hdr.get_sform(), atol=1e-3), f"{path}: qform and sform disagree")
    check(hdr.get_xyzt_units()[0] == "mm", f"{path}: xyz units {hdr.get_xyzt_units()[0]}, expected mm")
    checked += 1

for mask in sorted(glob.glob(os.path.join(export_dir, "mask_*.nii.gz"))):
    source = os.path.join(fixture_dir, os.path.basename(mask)[len("mask_"):-len(".gz")])
    m, s = nib.load(mask), nib.load(source)
    check(m.get_data_dtype() == np.uint8, f"{mask}: stored as {m.get_data_dtype()}, expected uint8")
    check(m.shape == s.shape[:3], f"{mask}: shape {m.shape}, expected {s.shape[:3]}")
    for field in ["qform_code", "sform_code", "quatern_b", "quatern_c", "quatern_d", "qoffset_x", "qoffset_y",
                  "qoffset_z", "srow_x", "srow_y", "srow_z"]:
        check(np.array_equal(m.header[field], s.header[field]),
              f"{mask}: {field} {m.header[field]}, the image has {s.header[field]}")
    check(np.array_equal(m.header["pixdim"][:4], s.header["pixdim"][:4]), f"{mask}: pixdim differs from the image's")
    check(np.array_equal(m.affine, s.affine), f"{mask}: affine differs from the image's")
    checked += 1

if checked < 5:
    failures.append(f"only {checked} files found in {export_dir} (expected 4 volumes and a mask)")
for f in failures:
    print("FAIL:", f)
if failures:
    sys.exit(1)
print(f"nibabel {nib.__version__} reads the {checked} files fbd wrote as fbd wrote them")
