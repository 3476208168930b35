#!/usr/bin/env python3
"""Train the small nnU-Net results folders that only the predictor's parity tests use, with the real nnunetv2.

The bundled models (models/, tools/models/train_models.py) are softmax models with one fold. nnU-Net's
predictor also ensembles several folds and exports region-based (sigmoid) models; these two fixture models give
those paths genuine nnunetv2 results folders to be checked against:

  ensemble   kidney + tumour, 3d_fullres at 8 mm, softmax, folds 0 and 1 (nnunetv2's own 5-fold split)
  regions    the same data, also at 8 mm, as regions: "kidney_and_tumor" = labels (1, 2), "tumor" = (2,), regions_class_order
             [1, 2]: sigmoid outputs, later regions overwrite earlier ones (nnU-Net's region training)
  cascade-lowres, cascade
             nnU-Net's cascade: 3d_lowres at 8 mm, then 3d_cascade_fullres at 5 mm, whose input is the CT plus
             the one-hot of the low-resolution stage's segmentation. nnunetv2 plans a cascade only for images
             much larger than the patch, so the two configurations are added to the plans here (as
             ExperimentPlanner writes them: lowres with next_stage, cascade_fullres inheriting from 3d_fullres
             with previous_stage). Both are trained on fold "all", because nnunetv2's validation writes the
             segmentations the cascade stage trains on (predicted_next_stage/) only for validation cases, and
             fold "all" validates every case.

All are trained briefly (12 or 15 epochs of 30 iterations, features divided by 4, Organa's NoDAFg trainer: AdamW,
no augmentation) on 12 phantoms written by `organa phantom dataset` at a small size: they are meant to give
confident, non-trivial segmentations for parity checks, not good ones. Each goes to
Tests/NNUNetRuntimeTests/Fixtures/trained/<name>/ laid out as nnUNetv2_train writes it (optimizer state removed).
Then run tools/reference/make_predictor_fixtures.py --models ensemble,regions for the stage-wise references.

Run (from the repository root; torch + nnunetv2 from tools/models/requirements-models.txt; CPU, ~10 minutes):
    swift build -c release --product organa
    /work/venv-nnunet/bin/python tools/reference/make_fixture_models.py [--only ensemble] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "Tests" / "NNUNetRuntimeTests" / "Fixtures" / "trained"
sys.path.insert(0, str(REPO / "tools" / "models"))
import train_models as tm  # noqa: E402  (shared steps: dataset, planning, preprocessing, training, export)

COMMON = dict(labels=["kidney", "tumor"], configuration="3d_fullres", spacing=(5.0, 5.0, 5.0), cases=12,
              trainer="nnUNetTrainerOrganaNoDAFg", epochs=15, iterations=30, feature_divisor=4)
LOWRES = dict(spacing=[8.0, 8.0, 8.0], patch_size=[40, 48, 48])  # (z, y, x); the patch divides by the strides
MODELS = [
    dict(COMMON, name="ensemble", dataset_id=601, dataset="FixtureEnsemble", folds=(0, 1), spacing=(8.0, 8.0, 8.0),
         epochs=12),
    dict(COMMON, name="regions", dataset_id=602, dataset="FixtureRegions", folds=(0,), spacing=(8.0, 8.0, 8.0),
         epochs=12,
         regions={"background": 0, "kidney_and_tumor": [1, 2], "tumor": [2]}, regions_class_order=[1, 2]),
    dict(COMMON, name="cascade", dataset_id=603, dataset="FixtureCascade", folds=("all",), cascade=True),
]
# Small phantoms (the dataset writer's default is 256 x 256 x 120 at 1.5 x 1.5 x 2.5 mm).
PHANTOM = ["--size", "128,128,60", "--spacing", "3,3,5"]


def make_dataset(model: dict, env: dict) -> None:
    tm.run([tm.ORGANA, "phantom", "dataset", "--out", env["nnUNet_raw"], "--cases", model["cases"],
            "--id", model["dataset_id"], "--name", model["dataset"], "--labels", ",".join(model["labels"]),
            "--seed", tm.TRAIN_SEED, *PHANTOM], env)
    if "regions" in model:
        path = Path(env["nnUNet_raw"]) / tm.dataset_folder(model) / "dataset.json"
        dataset = json.loads(path.read_text())
        dataset["labels"] = model["regions"]
        dataset["regions_class_order"] = model["regions_class_order"]
        path.write_text(json.dumps(dataset, indent=2))


def add_cascade(plans_path: Path) -> None:
    """Adds 3d_lowres (next_stage 3d_cascade_fullres) and 3d_cascade_fullres (previous_stage 3d_lowres) to the
    plans, as nnunetv2's ExperimentPlanner writes them for large images."""
    plans = json.loads(plans_path.read_text())
    configurations = plans["configurations"]
    configurations["3d_lowres"] = {"inherits_from": "3d_fullres", "data_identifier": "OrganaPlans_3d_lowres",
                                   "spacing": LOWRES["spacing"], "patch_size": LOWRES["patch_size"],
                                   "next_stage": "3d_cascade_fullres"}
    configurations["3d_cascade_fullres"] = {"inherits_from": "3d_fullres", "previous_stage": "3d_lowres"}
    plans_path.write_text(json.dumps(plans, indent=2))


def train_cascade(model: dict, env: dict, plans_path: Path) -> None:
    """3d_lowres (fold all, validated: writes predicted_next_stage/), then 3d_cascade_fullres on them."""
    add_cascade(plans_path)
    bin_dir = Path(sys.executable).parent
    tm.run([bin_dir / "nnUNetv2_preprocess", "-d", model["dataset_id"], "-plans_name", tm.PLANS_NAME,
            "-c", "3d_lowres", "3d_fullres", "-np", "1", "1"], env)
    stages = [(dict(model, name="cascade-lowres", configuration="3d_lowres"), True),
              (dict(model, configuration="3d_cascade_fullres"), False)]
    for stage, validate in stages:
        results = tm.train(stage, env, fold="all", validate=validate)
        tm.log(f"{stage['name']}: written to {tm.export(stage, results, OUT, folds=('all',))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated fixture model names (default: all)")
    parser.add_argument("--work", default="/tmp/organa-fixture-models")
    parser.add_argument("--organa", default=str(tm.ORGANA))
    args = parser.parse_args()
    import organa_trainers
    tm.log(f"Organa's trainers installed at {organa_trainers.install()}")
    tm.ORGANA = Path(args.organa)
    if not tm.ORGANA.exists():
        sys.exit(f"{tm.ORGANA} is missing: run `swift build -c release --product organa` first")
    env = tm.nnunet_env(Path(args.work))
    wanted = set(args.only.split(",")) if args.only else {m["name"] for m in MODELS}
    for model in (m for m in MODELS if m["name"] in wanted):
        make_dataset(model, env)
        plans_path = tm.plan(model, env)
        if model.get("cascade"):
            train_cascade(model, env, plans_path)
            continue
        tm.preprocess(model, env)
        results = None
        for fold in model["folds"]:
            results = tm.train(model, env, fold=fold)
        folder = tm.export(model, results, OUT, folds=model["folds"])
        tm.log(f"{model['name']}: written to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
