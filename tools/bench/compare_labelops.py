#!/usr/bin/env python3
"""Time Organa's LabelOps (and the full post-processing) against cc3d and scipy.ndimage on one label map, in one run.

Purpose
    Issue 7 acceptance: "full post-processing on a 512x512x300 label map; the LabelOps pieces compared with
    cc3d/scipy in the same run". The script
      (a) generates a phantom with `organa phantom` (512x512x300 voxels over 384x384x300 mm, 0.75x0.75x1 mm;
          labels 1 kidney, 2 tumour, 3 artery, 4 vein, 5 ureter, 6 perirenal fat) in a temporary folder, and
          drops the fat label (the post-processing derives it);
      (b) runs, alternating peer and Organa round by round, the same operations on the same arrays:

        op        Organa (Benchmarks/Sources/labelops-compare)      peer
        cc6       connectedComponents(.six), multi-label            cc3d.connected_components(connectivity=6)
        cc26      connectedComponents(.twentySix)                   cc3d.connected_components(connectivity=26)
        cc26-sp   (same Organa figure as cc26)                      scipy.ndimage.label(labels > 0, 26-structure)
                                                                    (binary only: scipy has no multi-label mode)
        dust      removeSmallComponents(200 voxels' volume)         cc3d.dust(threshold=200, connectivity=26)
        largest   keepLargestComponent (per label)                  cc3d.largest_k(k=1) per label
        fill3d    fillHoles(kidney)                                 scipy.ndimage.binary_fill_holes(kidney)
        edt       distanceTransform(not kidney), mm                 scipy.ndimage.distance_transform_edt(
                                                                      ~kidney, sampling=spacing_zyx)
        dilate5   dilate(kidney, radiusMM: 5), exact ellipsoid      scipy.ndimage.binary_dilation(kidney,
                                                                      ellipsoid) on kidney's bbox + 5 mm (the
                                                                      full grid takes minutes; Organa crops
                                                                      the same way internally)
        post      correctLabelMap + perirenalFatMask (−190…−30 HU)  — (no peer; reported alone)

    Times are taken inside each process around the call only (reading files and building the kidney mask are
    not timed); the minimum over repetitions is compared. Checks: component counts, removed voxels and filled
    voxels must agree between Organa and the peer; the script exits non-zero when they do not.

How to run (from the repository root)
    (cd Benchmarks && swift build -c release --scratch-path .build-post-bench --product labelops-compare)
    swift build -c release --product organa
    PY="$(scripts/setup-reference-python.sh | tail -1)"
    "$PY" tools/bench/compare_labelops.py --rounds 3 --json /tmp/labelops-compare.json

Versions: connected-components-3d 4.1.1, scipy 1.17.1, numpy 2.4.6 (tools/requirements-reference.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import cc3d
import nibabel as nib
import numpy as np
import scipy.ndimage as ndi

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DRIVER = REPO / "Benchmarks" / ".build-post-bench" / "release" / "labelops-compare"
DEFAULT_ORGANA = REPO / ".build" / "release" / "organa"
OPS = ["cc6", "cc26", "dust", "largest", "fill3d", "edt", "dilate5", "post"]


def timed(fn, repetitions):
    times, result = [], None
    for _ in range(repetitions):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), times, result


def ellipsoid(radius, spacing_zyx):
    reach = [int(radius // s) for s in spacing_zyx]
    grid = np.mgrid[tuple(slice(-r, r + 1) for r in reach)]
    return sum((g * s) ** 2 for g, s in zip(grid, spacing_zyx)) <= radius * radius


def peer_ops(labels, spacing_zyx, repetitions):
    """cc3d / scipy on the (z, y, x) uint8 label map; returns {op: (min_s, times, check)}."""
    kidney = labels == 1
    out = {}
    out["cc6"] = timed(lambda: cc3d.connected_components(labels, connectivity=6, return_N=True)[1], repetitions)
    out["cc26"] = timed(lambda: cc3d.connected_components(labels, connectivity=26, return_N=True)[1], repetitions)
    structure = np.ones((3, 3, 3), bool)
    out["cc26-sp"] = timed(lambda: ndi.label(labels > 0, structure=structure)[1], repetitions)

    def dust():
        cleaned = cc3d.dust(labels, threshold=200, connectivity=26, in_place=False)
        return int(np.count_nonzero(labels) - np.count_nonzero(cleaned))

    out["dust"] = timed(dust, repetitions)

    def largest():
        kept = np.zeros_like(labels)
        for value in np.unique(labels):
            if value == 0:
                continue
            mask = cc3d.largest_k(labels == value, k=1, connectivity=26)
            kept[mask > 0] = value
        return int(np.count_nonzero(labels) - np.count_nonzero(kept))

    out["largest"] = timed(largest, repetitions)
    out["fill3d"] = timed(lambda: int(ndi.binary_fill_holes(kidney).sum()), repetitions)
    out["edt"] = timed(lambda: int(ndi.distance_transform_edt(~kidney, sampling=spacing_zyx).max()), repetitions)
    element = ellipsoid(5.0, spacing_zyx)
    reach = [e // 2 for e in element.shape]
    box = np.argwhere(kidney)
    lo = np.maximum(box.min(0) - reach, 0)
    hi = np.minimum(box.max(0) + 1 + np.array(reach), kidney.shape)
    crop = tuple(slice(a, b) for a, b in zip(lo, hi))
    out["dilate5"] = timed(lambda: int(ndi.binary_dilation(kidney[crop], structure=element).sum()), repetitions)
    return out


def organa_ops(driver, labels_path, ct_path, repetitions):
    result = subprocess.run(
        [str(driver), str(labels_path), "--ct", str(ct_path), "--repetitions", str(repetitions), "--ops",
         ",".join(OPS)], check=True, capture_output=True, text=True)
    data = json.loads(result.stdout)
    return {op: (v["min_s"], v["times_s"], v["check"]) for op, v in data["results"].items()}, data


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--driver", default=str(DEFAULT_DRIVER), help="labelops-compare executable")
    parser.add_argument("--organa", default=str(DEFAULT_ORGANA), help="organa executable (to make the phantom)")
    parser.add_argument("--size", default="512,512,300")
    parser.add_argument("--fov", default="384,384,300")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (peer, Organa)")
    parser.add_argument("--repetitions", type=int, default=1, help="timed calls per op per round")
    parser.add_argument("--json", help="write all figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="labelops-compare-") as tmp:
        tmp = Path(tmp)
        subprocess.run([args.organa, "phantom", "--out", str(tmp), "--size", args.size, "--fov", args.fov,
                        "--seed", str(args.seed)], check=True, capture_output=True)
        image = nib.load(tmp / "labels.nii.gz")
        labels_xyz = np.asarray(image.dataobj).astype(np.uint8)
        labels_xyz[labels_xyz == 6] = 0
        structures = tmp / "structures.nii.gz"
        nib.save(nib.Nifti1Image(labels_xyz, image.affine, image.header), structures)
        labels = np.ascontiguousarray(labels_xyz.transpose(2, 1, 0))
        spacing_zyx = tuple(float(s) for s in image.header.get_zooms()[:3][::-1])

        peer_runs, organa_runs, organa_meta = [], [], None
        for _ in range(args.rounds):
            peer_runs.append(peer_ops(labels, spacing_zyx, args.repetitions))
            figures, organa_meta = organa_ops(args.driver, structures, tmp / "ct.nii.gz", args.repetitions)
            organa_runs.append(figures)

    def best(runs, op):
        return min(r[op][0] for r in runs if op in r)

    rows, mismatches = [], []
    for op in OPS + ["cc26-sp"]:
        organa_op = "cc26" if op == "cc26-sp" else op
        o = best(organa_runs, organa_op)
        p = best(peer_runs, op) if op != "post" else None
        oc = organa_runs[-1][organa_op][2]
        pc = peer_runs[-1][op][2] if op != "post" else None
        if pc is not None and op not in ("edt", "cc26-sp") and int(oc) != int(pc):
            mismatches.append(f"{op}: organa {oc} vs peer {pc}")
        rows.append({"op": op, "organa_s": o, "peer_s": p, "ratio": (o / p) if p else None,
                     "organa_check": oc, "peer_check": pc})

    print(f"{'op':9} {'Organa s':>9} {'peer s':>9} {'Organa/peer':>11}  check (Organa / peer)")
    for r in rows:
        peer = f"{r['peer_s']:9.3f}" if r["peer_s"] is not None else f"{'-':>9}"
        ratio = f"{r['ratio']:11.2f}" if r["ratio"] is not None else f"{'-':>11}"
        print(f"{r['op']:9} {r['organa_s']:9.3f} {peer} {ratio}  {r['organa_check']} / {r['peer_check']}")
    meta = {
        "machine": platform.platform(), "cpus": os.cpu_count(), "python": sys.version.split()[0],
        "cc3d": version("connected-components-3d"), "scipy": version("scipy"), "numpy": version("numpy"),
        "size": args.size, "fov_mm": args.fov, "seed": args.seed, "rounds": args.rounds,
        "organa_threads": organa_meta["threads"] if organa_meta else None,
    }
    print(json.dumps(meta))
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    if mismatches:
        print("MISMATCH: " + "; ".join(mismatches), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
