#!/usr/bin/env python3
"""nnU-Net post-processing reference for Organa's `NNUNetPostprocessing` tests, made by the real nnunetv2.

nnunetv2's `determine_postprocessing` writes `postprocessing.pkl` and `postprocessing.json` into a results folder:
a list of functions (only `remove_all_but_largest_component_from_segmentation` exists) with their kwargs
(`labels_or_regions`: a label, a region tuple, or a list of them), which `nnUNetv2_apply_postprocessing` applies
in order. This script builds a seeded synthetic label map (labels 1-3 in blobs of several sizes, two of them
tied for largest), writes a post-processing definition in the same two files with the same code path
(`save_pickle`, and the JSON dict with `recursive_fix_for_json_export`, as determine_postprocessing does), and
runs nnunetv2's `apply_postprocessing` on the label map:

  labels.u8          the input label map (z, y, x), raw uint8, C order
  postprocessing.json / postprocessing.pkl   the definition, as nnunetv2 writes them
  expected.u8        nnunetv2's post-processed label map
  case.json          shape, steps, versions

Run (from the repository root; nnunetv2 from tools/models/requirements-models.txt):
    /work/venv-nnunet-light/bin/python tools/reference/make_postprocessing_fixtures.py
"""

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
from batchgenerators.utilities.file_and_folder_operations import save_json, save_pickle
from nnunetv2.postprocessing.remove_connected_components import (
    apply_postprocessing,
    remove_all_but_largest_component_from_segmentation,
)
from nnunetv2.utilities.json_export import recursive_fix_for_json_export

OUT = Path(__file__).resolve().parents[2] / "Tests" / "NNUNetRuntimeTests" / "Fixtures" / "postprocessing"
SHAPE = (24, 40, 48)


def label_map() -> np.ndarray:
    rng = np.random.default_rng(20261125)
    seg = np.zeros(SHAPE, dtype=np.uint8)
    # Boxes (z0, y0, x0, dz, dy, dx, label): label 1 has two components tied for largest and a small one,
    # labels 2 and 3 touch diagonally (26-connected only) and have stray voxels.
    boxes = [
        (2, 2, 2, 4, 5, 6, 1), (14, 20, 30, 4, 5, 6, 1), (10, 3, 40, 2, 2, 2, 1),
        (3, 25, 5, 6, 8, 8, 2), (9, 33, 13, 5, 5, 5, 3), (18, 2, 18, 3, 3, 3, 2),
    ]
    for z0, y0, x0, dz, dy, dx, value in boxes:
        seg[z0:z0 + dz, y0:y0 + dy, x0:x0 + dx] = value
    stray = rng.integers(0, [s for s in SHAPE], size=(40, 3))
    for z, y, x in stray:
        if seg[z, y, x] == 0:
            seg[z, y, x] = rng.integers(1, 4)
    return seg


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    seg = label_map()
    fns = [remove_all_but_largest_component_from_segmentation] * 3
    # A label (two components tied for largest: both stay), a region, a list of one label.
    kwargs = [{"labels_or_regions": 1}, {"labels_or_regions": (2, 3)}, {"labels_or_regions": [3]}]
    expected = apply_postprocessing(seg, fns, kwargs)
    save_pickle((fns, kwargs), OUT / "postprocessing.pkl")
    definition = {"postprocessing_fns": [f.__name__ for f in fns], "postprocessing_kwargs": kwargs}
    recursive_fix_for_json_export(definition)
    save_json(definition, OUT / "postprocessing.json")
    seg.tofile(OUT / "labels.u8")
    expected.astype(np.uint8).tofile(OUT / "expected.u8")
    case = {
        "shape": list(SHAPE),
        "changed_voxels": int((seg != expected).sum()),
        "versions": {name: version(name) for name in ("nnunetv2", "acvl_utils", "scikit-image", "numpy")},
    }
    (OUT / "case.json").write_text(json.dumps(case, indent=1) + "\n")
    print(json.dumps(case))


if __name__ == "__main__":
    main()
