#!/usr/bin/env python3
"""Dice per structure of `organa run`'s merged label map on unseen phantoms, against the phantom's ground truth.

Issue 6's measure of the whole job (every selected model, each at its own grid, brought back to the CT's grid
and merged by the catalog's priority), on several seeds and grids, where JobTests checks one. For each grid and
seed it writes a phantom with `organa phantom` (seeds 9001+ are never used in training), runs
`organa run --segment-only --no-mirroring` with the bundled catalog (the kidney box from the preview, as the
default), and scores labels.nii.gz against the phantom's labels.nii.gz (nibabel): Dice per structure, and
centreline Dice (train_models.cl_dice) per tube.

Usage (the models venv of tools/models/requirements-models.txt: nibabel, numpy, scikit-image):
    swift build -c release --product organa
    python tools/models/merged_dice.py [--organa .build/release/organa] [--seeds 9001,9002,9003] \
        [--grid 256,256,80:1.5,1.5,2.5 --grid 160,160,80:2.4,2.4,2.5] [--json out.json]
"""
import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import nibabel
import numpy

from train_models import PHANTOM_LABELS, TEST_SEEDS, TUBES, cl_dice, dice

ROOT = Path(__file__).resolve().parents[2]
STRUCTURES = {name: value for name, value in PHANTOM_LABELS.items() if name != "perirenal_fat"}  # what models label


def labels(path):
    return numpy.asarray(nibabel.load(path).dataobj)


def score(organa, scratch, seed, size, spacing, extra):
    phantom, run = scratch / f"phantom-{seed}", scratch / f"run-{seed}"
    subprocess.run([organa, "phantom", "--out", phantom, "--seed", str(seed), "--size", size, "--spacing", spacing],
                   check=True, capture_output=True)
    subprocess.run([organa, "run", phantom / "ct.nii.gz", "--out", run, "--segment-only", "--no-mirroring", *extra],
                   check=True, capture_output=True, cwd=ROOT)
    merged, truth = labels(run / "labels.nii.gz"), labels(phantom / "labels.nii.gz")
    masks = {name: (truth == value, merged == value) for name, value in STRUCTURES.items()}
    return ({name: dice(*pair) for name, pair in masks.items()} |
            {f"{name} clDice": cl_dice(*masks[name]) for name in TUBES})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organa", default=str(ROOT / ".build/release/organa"))
    parser.add_argument("--seeds", default=",".join(map(str, TEST_SEEDS)))
    parser.add_argument("--grid", action="append", help="size:spacing of the phantom (repeatable)")
    parser.add_argument("--pin", action="append", default=[], help="passed to organa run, e.g. ureter=1")
    parser.add_argument("--json", help="also write the figures here")
    options = parser.parse_args()
    grids = options.grid or ["256,256,80:1.5,1.5,2.5", "160,160,80:2.4,2.4,2.5"]
    extra = [arg for pin in options.pin for arg in ("--pin", pin)]
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for grid in grids:
            size, spacing = grid.split(":")
            rows = {}
            for seed in (int(s) for s in options.seeds.split(",")):
                rows[seed] = score(options.organa, Path(scratch), seed, size, spacing, extra)
                print(f"{grid} seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in rows[seed].items()), flush=True)
            means = {name: float(numpy.mean([r[name] for r in rows.values()])) for name in next(iter(rows.values()))}
            print(f"{grid} mean: " + ", ".join(f"{k} {v:.3f}" for k, v in means.items()), flush=True)
            results[grid] = {"seeds": rows, "mean": means, "pins": options.pin}
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
