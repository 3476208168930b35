#!/usr/bin/env python3
"""Best Dice a model can reach on a coarser test grid: the ceiling that resampling alone sets.

Generates one phantom twice with `organa phantom generate` (same seed and field of view): at a model's grid (default
the ureter/vessels grid, 1.5 x 1.5 x 2.5 mm) and at the test grid of JobTests (2.4 x 2.4 x 2.5 mm). The fine
ground truth stands for a perfect model: each structure's mask is resampled trilinearly (torch
`F.interpolate`, as a probability map) to the coarse grid, thresholded at 0.5, and scored against the coarse ground
truth (Dice, and for the tubes also centreline Dice: at 5 mm a perfect 3-6 mm ureter breaks into pieces). A model
whose merged Dice must reach 0.9 on the coarse grid needs its own-grid Dice well above the ceiling's shortfall.

Usage (the model venv, tools/models/requirements-models.txt, has nibabel and torch):
    python tools/models/resampling_cap.py [--organa .build/debug/organa] [--seed 9001]
"""
import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import nibabel
import numpy
import torch
import torch.nn.functional as F

from train_models import TUBES, cl_dice, dice

ROOT = Path(__file__).resolve().parents[2]


def phantom(organa, folder, seed, size, spacing):
    subprocess.run([organa, "phantom", "generate", "--out", str(folder), "--seed", str(seed), "--size", size,
                    "--spacing", spacing], check=True, capture_output=True)
    labels = numpy.asarray(nibabel.load(folder / "labels.nii.gz").dataobj)
    names = json.loads((folder / "labels.json").read_text())["labels"]
    return labels, names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organa", default=str(ROOT / ".build/debug/organa"))
    parser.add_argument("--seed", type=int, default=9001)
    parser.add_argument("--fine", default="256,256,80:1.5,1.5,2.5", help="size:spacing of the model's grid")
    parser.add_argument("--coarse", default="160,160,80:2.4,2.4,2.5", help="size:spacing of the test grid")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        fine, names = phantom(options.organa, Path(scratch) / "fine", options.seed, *options.fine.split(":"))
        coarse, _ = phantom(options.organa, Path(scratch) / "coarse", options.seed, *options.coarse.split(":"))
    print(f"seed {options.seed}: perfect segmentation at {options.fine} resampled to {options.coarse}")
    for name, value in sorted(names.items(), key=lambda item: item[1]):
        if value == 0 or name == "perirenal_fat":
            continue
        mask = torch.tensor((fine == value).astype(numpy.float32))[None, None]
        resampled = F.interpolate(mask, size=coarse.shape, mode="trilinear", align_corners=False)[0, 0].numpy() > 0.5
        truth = coarse == value
        centreline = f", clDice ceiling {cl_dice(truth, resampled):.3f}" if name in TUBES else ""
        print(f"  {name:7s} Dice ceiling {dice(truth, resampled):.3f}{centreline} ({truth.sum()} truth voxels, "
              f"{resampled.sum()} resampled)")


if __name__ == "__main__":
    main()
