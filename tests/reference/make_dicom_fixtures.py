#!/usr/bin/python3
"""Writes the fixtures of tests/data/test_dicom.cpp (tests/fixtures/dicom/): what pydicom reads
from DICOM files made by others, and small DICOM files made here with pydicom, so that the C++
test checks fbd's GDCM-based reader (data/dicom.h) without Python (the files are committed).

  - expected.json, "external": for each file of python3-pydicom's and python3-nibabel's test
    data below, its size in bytes (the test skips a file whose size differs: another release
    may ship another file), the shape as fbd sees it (nx = columns, ny = rows, nz), the spacing,
    the affine in NIfTI's RAS+ world computed here from the tags with numpy (and checked
    against nibabel's DICOM wrapper), and a summary of pydicom's pixel_array * RescaleSlope +
    RescaleIntercept: sum, sum of squares and voxels sampled by index. The lossless JPEG-LS and
    JPEG 2000 copies of MR_small.dcm are compared with MR_small's values (pydicom here has no
    decoder for them; pydicom's own tests check that they decode to MR_small).
  - expected.json, "made_here": the same summary for the files below, with the whole volume as
    NAME.npy (float32, shape (nz, ny, nx)).
  - series_a/: one series of 5 slices of 8 columns x 6 rows, an oblique orientation, positions
    written in shuffled file order with a uniform step of 2.5 mm (SliceThickness 3.1 on
    purpose), RescaleSlope 0.5 and RescaleIntercept -10, and a non-DICOM file (notes.txt).
  - series_mixed/: two series (3 and 2 slices) in one folder.
  - no_spacing/, gaps/, duplicate/: a series without PixelSpacing, one with steps 2, 2, 3 mm,
    one with two slices at the same position.
  - multiframe.dcm: an Enhanced MR multi-frame file of 4 frames, 6 columns x 5 rows, per-frame
    positions (shuffled frame order) and per-frame rescale in the functional groups.
  - multiframe_nopos.dcm: 3 frames and no functional groups (fbd cannot place the frames).
  - mpeg2.dcm: a transfer syntax GDCM cannot decode (MPEG-2 video).
  - rgb.dcm: a 4 x 3 RGB image (MRI is grey: fbd refuses it).
  - dce_series/: a 4-D series, 3 positions x 3 phases (TemporalPositionIdentifier 1-3) in
    shuffled file order; dce_series.npy holds (phase, slice, row, column), checked against
    pydicom file by file. dce_acqtime/: 2 x 2 told apart by AcquisitionTime alone, with
    InstanceNumbers that run against it. dce_missing/: 3 x 2 with one frame left out.
  - jpeg_lossy_placed.dcm: pydicom's JPEG-lossy.dcm (12-bit JPEG Extended, lossy) with an
    ImagePositionPatient and ImageOrientationPatient added, the pixel data untouched; its
    values are pydicom's reference points (pydicom's tests, picked in Osirix).

    /usr/bin/python3 tests/reference/make_dicom_fixtures.py
"""
import json
import os
import shutil
import warnings

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import (ExplicitVRLittleEndian, EnhancedMRImageStorage, MPEG2MPML, MRImageStorage,
                         SecondaryCaptureImageStorage, generate_uid)

warnings.filterwarnings("ignore")
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "fixtures", "dicom")
os.makedirs(out, exist_ok=True)
PYDICOM_DATA = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
import nibabel  # noqa: E402  (only for its test data folder and its DICOM wrapper)
from nibabel.nicom import dicomwrappers  # noqa: E402

NIBABEL_DATA = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data")
NICOM_DATA = os.path.join(os.path.dirname(nibabel.__file__), "nicom", "tests", "data")
rng = np.random.default_rng(20240611)

# --- the affine, computed independently of fbd ---------------------------------------------


def ras_affine(iop, ipp, pixel_spacing, step):
    """NIfTI RAS+ affine of voxel (column i, row j, slice k), as dcm2niix / nibabel convert:
    LPS columns (row cosine * column spacing, column cosine * row spacing, normal * step),
    origin the first slice's position, then the first two rows negated."""
    row_cos = np.array(iop[:3], float)  # direction of increasing column index
    col_cos = np.array(iop[3:], float)  # direction of increasing row index
    normal = np.cross(row_cos, col_cos)
    a = np.eye(4)
    a[:3, 0] = row_cos * float(pixel_spacing[1])
    a[:3, 1] = col_cos * float(pixel_spacing[0])
    a[:3, 2] = normal * step
    a[:3, 3] = np.array(ipp, float)
    return np.diag([-1, -1, 1, 1]) @ a


def check_with_nibabel(ds, affine):
    """nibabel's wrapper indexes (row, column): swap its first two columns, flip LPS to RAS; the
    third column differs for a single slice (nibabel takes the slice thickness), so it is left out."""
    w = dicomwrappers.wrapper_from_data(ds)
    if w.is_mosaic:  # nibabel unpacks a mosaic into slices; fbd reads the mosaic as one image
        return
    nib = np.diag([-1, -1, 1, 1]) @ w.affine[:, [1, 0, 2, 3]]
    assert np.allclose(nib[:, [0, 1, 3]], affine[:, [0, 1, 3]], atol=1e-6), (nib, affine)


def values(ds):
    a = ds.pixel_array.astype(np.float64)
    return a * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))


def summary(vol, samples=12):
    """vol: (nz, ny, nx) float64. Sum, sum of squares and voxels sampled by index (i, j, k, value)."""
    nz, ny, nx = vol.shape
    pts = [(0, 0, 0), (nx - 1, ny - 1, nz - 1), (nx - 1, 0, 0), (0, ny - 1, nz - 1)]
    for _ in range(samples - len(pts)):
        pts.append((int(rng.integers(nx)), int(rng.integers(ny)), int(rng.integers(nz))))
    return {
        "shape": [nx, ny, nz],
        "sum": float(vol.sum()),
        "sum_sq": float((vol * vol).sum()),
        "samples": [[i, j, k, float(np.float32(vol[k, j, i]))] for i, j, k in pts],
    }


def single_file_entry(folder_key, folder, name, reference=None):
    path = os.path.join(folder, name)
    ds = pydicom.dcmread(path)
    src = pydicom.dcmread(os.path.join(folder, reference)) if reference else ds
    vol = values(src)[None]
    dz = float(ds.get("SpacingBetweenSlices", 0) or 0) or float(ds.get("SliceThickness", 0) or 0) or 1.0
    affine = ras_affine(ds.ImageOrientationPatient, ds.ImagePositionPatient, ds.PixelSpacing, dz)
    check_with_nibabel(ds, affine)
    e = {"folder": folder_key, "file": name, "bytes": os.path.getsize(path),
         "transfer_syntax": ds.file_meta.TransferSyntaxUID.name,
         "spacing": [float(ds.PixelSpacing[1]), float(ds.PixelSpacing[0]), dz], "affine": affine.tolist()}
    if reference:
        e["values_of"] = reference
    e.update(summary(vol))
    return e


# Files made by others, read by the test from their folders.
EXTERNAL = [
    ("pydicom", PYDICOM_DATA, "MR_small.dcm", None),  # explicit VR little endian
    ("pydicom", PYDICOM_DATA, "MR_small_implicit.dcm", None),  # implicit VR little endian
    ("pydicom", PYDICOM_DATA, "MR_small_bigendian.dcm", None),  # explicit VR big endian
    ("pydicom", PYDICOM_DATA, "MR_small_RLE.dcm", None),  # RLE lossless
    ("pydicom", PYDICOM_DATA, "MR_small_jpeg_ls_lossless.dcm", "MR_small.dcm"),  # JPEG-LS lossless
    ("pydicom", PYDICOM_DATA, "MR_small_jp2klossless.dcm", "MR_small.dcm"),  # JPEG 2000 lossless
    ("pydicom", PYDICOM_DATA, "CT_small.dcm", None),  # RescaleIntercept -1024
    ("nibabel", NIBABEL_DATA, "0.dcm", None),  # Siemens mosaic, read as one 2-D image
    ("nicom", NICOM_DATA, "decimal_rescale.dcm", None),  # decimal RescaleSlope / Intercept
]

expected = {"external": [], "made_here": []}
for key, folder, name, ref in EXTERNAL:
    if os.path.exists(os.path.join(folder, name)):
        expected["external"].append(single_file_entry(key, folder, name, ref))
    else:
        print("skipped (missing):", os.path.join(folder, name))

# --- files made here -----------------------------------------------------------------------


def base_dataset(sop_class, series_uid, description, study_uid, frame_uid):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[description, str(rng.integers(1 << 30))])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study_uid, series_uid, frame_uid
    ds.Modality = "MR"
    ds.SeriesDescription = description
    ds.PatientName, ds.PatientID = "Phantom^Fbd", "FBD001"
    return ds


def set_pixels(ds, arr, signed=True):
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = arr.shape[-2], arr.shape[-1]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelData = arr.astype("<i2" if signed else "<u2").tobytes()


STUDY, FRAME = "1.2.826.0.1.3680043.8.498.1", "1.2.826.0.1.3680043.8.498.2"
# An oblique orientation: rotations of 20 degrees about z then 15 degrees about x (LPS).
cz, sz, cx, sx = np.cos(np.radians(20)), np.sin(np.radians(20)), np.cos(np.radians(15)), np.sin(np.radians(15))
rot = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]]) @ np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
IOP = [float(x) for x in np.round(np.concatenate([rot[:, 0], rot[:, 1]]), 8)]
NORMAL = np.cross(IOP[:3], IOP[3:])
ORIGIN = np.array([-31.25, 12.5, 40.0])


def write_series(folder, series_uid, description, nslices, steps, cols=8, rows=6, pixel_spacing=(0.9, 0.7),
                 slope=0.5, intercept=-10.0, thickness=3.1, shuffle=True, seed_offset=0):
    """Writes nslices files named in shuffled order; steps: the gap before each slice but the first.
    Returns the (nz, ny, nx) values in position order and the first slice's position."""
    os.makedirs(folder, exist_ok=True)
    positions = [0.0]
    for s in steps:
        positions.append(positions[-1] + s)
    order = rng.permutation(nslices) if shuffle else np.arange(nslices)
    vol = []
    for k in range(nslices):
        ds = base_dataset(MRImageStorage, series_uid, description, STUDY, FRAME)
        ipp = ORIGIN + positions[k] * NORMAL
        ds.ImagePositionPatient = [float(x) for x in np.round(ipp, 6)]
        ds.ImageOrientationPatient = IOP
        if pixel_spacing is not None:
            ds.PixelSpacing = list(pixel_spacing)
        ds.SliceThickness = thickness
        ds.InstanceNumber = k + 1
        ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = slope, intercept, "US"
        arr = (np.arange(rows * cols).reshape(rows, cols) * 37 + 1000 * k + 7 * seed_offset) % 3001 - 1000
        set_pixels(ds, arr)
        vol.append(arr * slope + intercept)
        ds.save_as(os.path.join(folder, "IM%04d" % int(order[k])), write_like_original=False)
    return np.array(vol, dtype=np.float64)


def stored_step(folder, uid):
    """The mean step between the positions as written (rounded to the DS precision), along the
    normal of the orientation as written: what a reader measures."""
    pos = []
    for n in os.listdir(folder):
        p = os.path.join(folder, n)
        if os.path.isfile(p) and n.startswith(("IM", "B_IM")):
            ds = pydicom.dcmread(p)
            if ds.SeriesInstanceUID == uid:
                iop = np.array(ds.ImageOrientationPatient, float)
                pos.append(float(np.dot(np.array(ds.ImagePositionPatient, float), np.cross(iop[:3], iop[3:]))))
    pos.sort()
    return (pos[-1] - pos[0]) / (len(pos) - 1)


def made_entry(name, vol, spacing, affine, extra=None):
    np.save(os.path.join(out, name + ".npy"), vol.astype("<f4"))
    e = {"name": name, "spacing": spacing, "affine": affine.tolist()}
    e.update(summary(vol))
    e.update(extra or {})
    expected["made_here"].append(e)


for sub in ["series_a", "series_mixed", "no_spacing", "gaps", "duplicate"]:
    shutil.rmtree(os.path.join(out, sub), ignore_errors=True)

SERIES_A = "1.2.826.0.1.3680043.8.498.10"
vol = write_series(os.path.join(out, "series_a"), SERIES_A, "t1 oblique", 5, [2.5] * 4)
with open(os.path.join(out, "series_a", "notes.txt"), "w") as f:
    f.write("not a DICOM file: fbd ignores it in a folder\n")
step = stored_step(os.path.join(out, "series_a"), SERIES_A)
assert abs(step - 2.5) < 1e-5
made_entry("series_a", vol, [0.7, 0.9, step], ras_affine(IOP, ORIGIN, (0.9, 0.7), step),
           {"uid": SERIES_A, "description": "t1 oblique", "files": 5})

write_series(os.path.join(out, "series_mixed"), "1.2.826.0.1.3680043.8.498.21", "dce phase 1", 3, [2.0, 2.0])
write_series(os.path.join(out, "series_mixed", "sub"), "1.2.826.0.1.3680043.8.498.99", "in a sub-folder", 2, [2.0])
# the second series' files sit beside the first's (renamed so that names do not collide)
vol_b = write_series(os.path.join(out, "tmp_b"), "1.2.826.0.1.3680043.8.498.22", "dce phase 2", 2, [4.0],
                     seed_offset=3)
for n in sorted(os.listdir(os.path.join(out, "tmp_b"))):
    shutil.move(os.path.join(out, "tmp_b", n), os.path.join(out, "series_mixed", "B_" + n))
os.rmdir(os.path.join(out, "tmp_b"))
step = stored_step(os.path.join(out, "series_mixed"), "1.2.826.0.1.3680043.8.498.22")
made_entry("series_mixed_b", vol_b, [0.7, 0.9, step], ras_affine(IOP, ORIGIN, (0.9, 0.7), step),
           {"uid": "1.2.826.0.1.3680043.8.498.22", "description": "dce phase 2", "files": 2})

write_series(os.path.join(out, "no_spacing"), "1.2.826.0.1.3680043.8.498.30", "no spacing", 3, [2.0, 2.0],
             pixel_spacing=None)
write_series(os.path.join(out, "gaps"), "1.2.826.0.1.3680043.8.498.31", "gaps", 4, [2.0, 2.0, 3.0])
write_series(os.path.join(out, "duplicate"), "1.2.826.0.1.3680043.8.498.32", "duplicate", 3, [2.0, 0.0])

# Enhanced MR multi-frame: 4 frames of 6 columns x 5 rows, step 1.5 mm, stored in shuffled order,
# each frame its own rescale; shared orientation and pixel measures.
NF, ROWS, COLS = 4, 5, 6
ds = base_dataset(EnhancedMRImageStorage, "1.2.826.0.1.3680043.8.498.40", "enhanced", STUDY, FRAME)
ds.NumberOfFrames = NF
shared = Dataset()
po = Dataset()
po.ImageOrientationPatient = IOP
shared.PlaneOrientationSequence = Sequence([po])
pm = Dataset()
pm.PixelSpacing, pm.SliceThickness = [0.8, 0.6], 5.0
shared.PixelMeasuresSequence = Sequence([pm])
ds.SharedFunctionalGroupsSequence = Sequence([shared])
frame_pos = rng.permutation(NF)  # the position index of each stored frame
frames, per_frame, vol = [], [], [None] * NF
for f in range(NF):
    p = int(frame_pos[f])
    arr = (np.arange(ROWS * COLS).reshape(ROWS, COLS) * (f + 3) + 100 * f) % 700
    slope, inter = 1.0 + 0.25 * f, -5.0 * f
    item = Dataset()
    pp = Dataset()
    pp.ImagePositionPatient = [float(x) for x in np.round(ORIGIN + 1.5 * p * NORMAL, 6)]
    item.PlanePositionSequence = Sequence([pp])
    pv = Dataset()
    pv.RescaleSlope, pv.RescaleIntercept, pv.RescaleType = slope, inter, "US"
    item.PixelValueTransformationSequence = Sequence([pv])
    per_frame.append(item)
    frames.append(arr)
    vol[p] = arr * slope + inter
ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
set_pixels(ds, np.array(frames), signed=False)
ds.save_as(os.path.join(out, "multiframe.dcm"), write_like_original=False)
mf = pydicom.dcmread(os.path.join(out, "multiframe.dcm"))
pos = sorted(float(np.dot(np.array(i.PlanePositionSequence[0].ImagePositionPatient, float), NORMAL))
             for i in mf.PerFrameFunctionalGroupsSequence)
step = (pos[-1] - pos[0]) / (NF - 1)
made_entry("multiframe", np.array(vol), [0.6, 0.8, step], ras_affine(IOP, ORIGIN, (0.8, 0.6), step))

# Multi-frame without functional groups.
ds = base_dataset(MRImageStorage, "1.2.826.0.1.3680043.8.498.41", "no positions", STUDY, FRAME)
ds.NumberOfFrames = 3
ds.PixelSpacing = [1.0, 1.0]
ds.ImageOrientationPatient = IOP
ds.ImagePositionPatient = [0.0, 0.0, 0.0]
set_pixels(ds, np.zeros((3, 4, 4)))
ds.save_as(os.path.join(out, "multiframe_nopos.dcm"), write_like_original=False)

# A transfer syntax GDCM has no decoder for.
ds = base_dataset(MRImageStorage, "1.2.826.0.1.3680043.8.498.42", "mpeg2", STUDY, FRAME)
ds.file_meta.TransferSyntaxUID = MPEG2MPML
ds.PixelSpacing, ds.ImageOrientationPatient, ds.ImagePositionPatient = [1.0, 1.0], IOP, [0.0, 0.0, 0.0]
ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 4, 4, 8, 8, 7, 0
ds.PixelData = encapsulate([b"\x00\x00\x01\xb3" + bytes(28)])
ds["PixelData"].is_undefined_length = True
ds["PixelData"].VR = "OB"
ds.save_as(os.path.join(out, "mpeg2.dcm"), write_like_original=False)

# RGB.
ds = base_dataset(SecondaryCaptureImageStorage, "1.2.826.0.1.3680043.8.498.43", "rgb", STUDY, FRAME)
ds.PixelSpacing, ds.ImageOrientationPatient, ds.ImagePositionPatient = [1.0, 1.0], IOP, [0.0, 0.0, 0.0]
ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 3, 4, 8, 8, 7, 0
ds.PixelData = (np.arange(3 * 4 * 3) * 7 % 256).astype(np.uint8).tobytes()
ds.save_as(os.path.join(out, "rgb.dcm"), write_like_original=False)

# pydicom's 12-bit lossy JPEG, placed in the world (its NM header has no position).
src = os.path.join(PYDICOM_DATA, "JPEG-lossy.dcm")
if os.path.exists(src):
    ds = pydicom.dcmread(src)
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.ImagePositionPatient = [10.0, -20.0, 30.0]
    ds.save_as(os.path.join(out, "jpeg_lossy_placed.dcm"), write_like_original=False)
    ps = [float(x) for x in ds.PixelSpacing]
    expected["jpeg_lossy"] = {
        "file": "jpeg_lossy_placed.dcm", "transfer_syntax": ds.file_meta.TransferSyntaxUID.name,
        "shape": [int(ds.Columns), int(ds.Rows), 1], "spacing_xy": [ps[1], ps[0]],
        # pydicom's tests (test_gdcm_pixel_data.py): arr[420, 140] == 244, arr[230, 120] == 95
        "samples": [[140, 420, 0, 244.0], [120, 230, 0, 95.0]],
        "affine": ras_affine(ds.ImageOrientationPatient, ds.ImagePositionPatient, ds.PixelSpacing, 1.0).tolist()}

# --- 4-D series (DCE phases): several frames at each position -----------------------------

for sub in ["dce_series", "dce_acqtime", "dce_missing"]:
    shutil.rmtree(os.path.join(out, sub), ignore_errors=True)


def write_dce(folder, series_uid, nslices, nphases, step, temporal_ids=True, drop=None):
    """nslices positions x nphases phases as single-frame files in shuffled order. With
    temporal_ids each file has TemporalPositionIdentifier (phase + 1) and AcquisitionNumber;
    without, only AcquisitionTime tells the phases apart (10:15:00 + 90 s per phase) and the
    InstanceNumbers run against time, so a reader that orders by them gets the phases wrong.
    drop: (slice, phase) not written. Returns (nphases, nslices, rows, cols) values."""
    os.makedirs(folder, exist_ok=True)
    cols, rows = 7, 5
    order = rng.permutation(nslices * nphases)
    vol = np.zeros((nphases, nslices, rows, cols))
    n = 0
    for t in range(nphases):
        for k in range(nslices):
            ds = base_dataset(MRImageStorage, series_uid, "dce 4-D", STUDY, FRAME)
            ds.ImagePositionPatient = [float(x) for x in np.round(ORIGIN + k * step * NORMAL, 6)]
            ds.ImageOrientationPatient = IOP
            ds.PixelSpacing = [0.9, 0.7]
            ds.SliceThickness = step
            if temporal_ids:
                ds.TemporalPositionIdentifier = t + 1
                ds.AcquisitionNumber = t + 1
                ds.InstanceNumber = t * nslices + k + 1
            else:
                ds.AcquisitionTime = "10%02d%02d.5" % divmod(15 * 60 + 90 * t, 60)
                ds.InstanceNumber = (nphases - 1 - t) * nslices + k + 1
            ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = 1.0, 0.0, "US"
            arr = (np.arange(rows * cols).reshape(rows, cols) * (3 + t) + 200 * k + 1000 * t) % 4000
            set_pixels(ds, arr)
            vol[t, k] = arr
            if drop != (k, t):
                ds.save_as(os.path.join(folder, "IM%04d" % int(order[n])), write_like_original=False)
            n += 1
    return vol


DCE = "1.2.826.0.1.3680043.8.498.50"
vol = write_dce(os.path.join(out, "dce_series"), DCE, 3, 3, 2.0)
np.save(os.path.join(out, "dce_series.npy"), vol.astype("<f4"))
expected["dce"] = {"dce_series": {"shape": [7, 5, 3, 3], "spacing": [0.7, 0.9, 2.0],
                                  "affine": ras_affine(IOP, ORIGIN, (0.9, 0.7), 2.0).tolist()}}
# pydicom, independently: each file's phase is its TemporalPositionIdentifier, its slice the
# rank of its position along the normal.
for name in os.listdir(os.path.join(out, "dce_series")):
    ds = pydicom.dcmread(os.path.join(out, "dce_series", name))
    k = int(round(float(np.dot(np.array(ds.ImagePositionPatient, float) - ORIGIN, NORMAL)) / 2.0))
    assert np.array_equal(ds.pixel_array, vol[int(ds.TemporalPositionIdentifier) - 1, k]), name
vol = write_dce(os.path.join(out, "dce_acqtime"), "1.2.826.0.1.3680043.8.498.51", 2, 2, 3.0, temporal_ids=False)
np.save(os.path.join(out, "dce_acqtime.npy"), vol.astype("<f4"))
write_dce(os.path.join(out, "dce_missing"), "1.2.826.0.1.3680043.8.498.52", 3, 2, 2.0, drop=(1, 1))

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print("wrote", out)
