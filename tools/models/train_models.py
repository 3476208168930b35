#!/usr/bin/env python3
"""Train Organa's bundled nnU-Net v2 models on phantom data, on the CPU, with the real nnunetv2.

What it does, per model in MODELS:
  1. `organa phantom dataset` writes an nnU-Net raw dataset of phantoms (24 cases, training seeds 1000+).
  2. nnunetv2 extracts the fingerprint and plans the experiment at the model's own target spacing, with a
     small GPU-memory target so that patches stay small; the plans are saved as `OrganaPlans`, then the
     network is shrunk (features_per_stage divided by FEATURE_DIVISOR, or the model's feature_divisor) so it
     trains in minutes on a CPU.
  3. nnunetv2 preprocesses the data and trains the model's trainer (fold 0) for a short schedule
     (num_epochs x num_iterations_per_epoch set programmatically, as nnU-Net's own tests do). The trainers are
     Organa's own (tools/models/organa_trainers.py, which this script installs into the venv's nnunetv2 so that
     nnUNetPredictor finds them by name): no spatial or intensity augmentation (in-distribution phantoms; the
     augmentation costs much CPU time) and AdamW at 1e-3 with nnU-Net's poly schedule, because nnU-Net's SGD
     (1e-2, momentum 0.99) drove these small networks to all-background within 40 iterations.
     `nnUNetTrainerOrganaMirror` (kidney-tumor-v1) keeps nnU-Net's random mirroring, so the model keeps its
     test-time mirroring axes (0, 1, 2); `nnUNetTrainerOrganaNoDA` (vessels, the preview at first) has none, as
     nnUNetTrainerNoDA; `nnUNetTrainerOrganaNoDAFg` (ureter, ureter-v1) is that with every training patch
     centred on foreground (oversample_foreground_percent 1.0), because the 2-4 mm ureter was otherwise
     learned as background only.
  4. The results folder is copied to models/<name>/ exactly as nnUNetv2_train lays it out
     (dataset.json, plans.json, dataset_fingerprint.json, fold_0/checkpoint_final.pth), with the optimizer
     state removed from the checkpoint (the file stays a valid nnU-Net checkpoint for nnUNetPredictor).
  5. Each model predicts 3 unseen phantoms (seeds 9001-9003) with nnUNetPredictor; Dice per structure goes
     to models/<name>/evaluation.json and the table in models/README.md.

PyTorch runs on one thread: on 2 cores shared with other jobs one thread trained 2.5x faster than two.

--continue trains a further stage instead of starting from scratch: the network starts from the bundled
models/<name>/fold_0/checkpoint_final.pth (every weight, segmentation layers included), nnunetv2 preprocesses with
the bundled plans.json (no re-planning, so the network and its input stay exactly the bundled model's), and the
model's `continued` schedule runs with a fresh AdamW and poly schedule; evaluation.json then lists both stages.

Run from the repository root (CPU only; 15-30 minutes per model on a shared 2-core machine):
    python3 -m venv /work/venv-nnunet && /work/venv-nnunet/bin/pip install -r tools/models/requirements-models.txt
    swift build -c release --product organa
    /work/venv-nnunet/bin/python tools/models/train_models.py [--only vessels,ureter] [--work /tmp/organa-models]
    /work/venv-nnunet/bin/python tools/models/train_models.py --continue --only kidney-tumor-v1,preview,ureter
    (--smoke checks the whole pipeline in a few minutes without touching models/)

Versions are pinned in tools/models/requirements-models.txt (nnunetv2 2.8.1, torch 2.15.0).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ORGANA = REPO / ".build" / "release" / "organa"
PLANS_NAME = "OrganaPlans"
FEATURE_DIVISOR = 4
TRAIN_SEED = 1000
TEST_SEEDS = (9001, 9002, 9003)
PHANTOM_LABELS = {"kidney": 1, "tumor": 2, "artery": 3, "vein": 4, "ureter": 5, "perirenal_fat": 6}
TUBES = ("artery", "vein", "ureter")  # also scored by centreline Dice (cl_dice)

# Each model at its own spacing (mm, x y z) so that Organa's resolution planner has real work. Trainers are
# Organa's (tools/models/organa_trainers.py, installed into nnunetv2 by this script): no spatial/intensity data
# augmentation, AdamW at 1e-3 (nnU-Net's SGD at 1e-2 with momentum 0.99 collapses these small networks to
# all-background within 40 iterations); nnUNetTrainerOrganaMirror keeps random mirroring in training and thus
# the test-time mirroring axes, nnUNetTrainerOrganaNoDA has none (inference_allowed_mirroring_axes = None);
# nnUNetTrainerOrganaNoDAFg centres every training patch on foreground (the thin ureter).
MODELS = [
    dict(name="vessels", dataset_id=501, dataset="Vessels", labels=["artery", "vein"],
         configuration="3d_fullres", spacing=None, cases=24, trainer="nnUNetTrainerOrganaNoDA",
         epochs=12, iterations=50, continued=dict(epochs=30, iterations=50)),
    dict(name="ureter", dataset_id=502, dataset="Ureter", labels=["ureter"],
         configuration="3d_fullres", spacing=None, cases=24, trainer="nnUNetTrainerOrganaNoDAFg",
         epochs=8, iterations=50, continued=dict(epochs=5, iterations=50)),
    dict(name="kidney-tumor-v1", dataset_id=503, dataset="KidneyTumorV1", labels=["kidney", "tumor"],
         configuration="3d_fullres", spacing=(3.0, 3.0, 3.5), cases=24, trainer="nnUNetTrainerOrganaMirror",
         epochs=12, iterations=50, continued=dict(epochs=8, iterations=50)),
    dict(name="kidney-tumor", dataset_id=506, dataset="KidneyTumor", labels=["kidney", "tumor"],
         configuration="3d_fullres", spacing=None, cases=24, trainer="nnUNetTrainerOrganaNoDAFgHalf",
         epochs=30, iterations=50, continued=dict(epochs=12, iterations=50)),
    dict(name="ureter-v1", dataset_id=504, dataset="UreterV1", labels=["ureter"],
         configuration="2d", spacing=None, cases=24, trainer="nnUNetTrainerOrganaNoDAFg",
         epochs=20, iterations=50, max_features=64, continued=dict(epochs=8, iterations=50)),
    dict(name="preview", dataset_id=505, dataset="Preview", labels=["kidney", "tumor", "artery", "vein", "ureter"],
         configuration="3d_fullres", spacing=(4.0, 4.0, 4.0), cases=24, trainer="nnUNetTrainerOrganaNoDA",
         epochs=8, iterations=50, continued=dict(epochs=5, iterations=50)),
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(command: list[str], env: dict) -> None:
    log("$ " + " ".join(str(c) for c in command))
    subprocess.run([str(c) for c in command], env=env, check=True)


def nnunet_env(work: Path) -> dict:
    env = dict(os.environ)
    for name in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"):
        (work / name).mkdir(parents=True, exist_ok=True)
        env[name] = str(work / name)
    env["nnUNet_n_proc_DA"] = "1"
    env["nnUNet_compile"] = "f"
    env["OMP_NUM_THREADS"] = "1"  # one thread: 2.5x faster than two on a CPU shared with other jobs
    return env


def make_dataset(model: dict, env: dict) -> None:
    run([ORGANA, "phantom", "dataset", "--out", env["nnUNet_raw"], "--cases", model["cases"],
         "--id", model["dataset_id"], "--name", model["dataset"], "--labels", ",".join(model["labels"]),
         "--seed", TRAIN_SEED], env)


def plan(model: dict, env: dict) -> Path:
    bin_dir = Path(sys.executable).parent
    run([bin_dir / "nnUNetv2_extract_fingerprint", "-d", model["dataset_id"], "-np", "1"], env)
    command = [bin_dir / "nnUNetv2_plan_experiment", "-d", model["dataset_id"], "-gpu_memory_target", "1",
               "-overwrite_plans_name", PLANS_NAME]
    if model["spacing"] is not None:
        # nnU-Net's spacing order is (z, y, x).
        command += ["-overwrite_target_spacing", *[str(s) for s in reversed(model["spacing"])]]
    run(command, env)
    plans_path = Path(env["nnUNet_preprocessed"]) / dataset_folder(model) / f"{PLANS_NAME}.json"
    shrink_network(plans_path, model.get("feature_divisor", FEATURE_DIVISOR), model.get("max_features"))
    return plans_path


def shrink_network(plans_path: Path, divisor: int, cap: int | None = None) -> None:
    """features_per_stage divided by divisor (at least 4) and, with cap, at most cap: the deep stages hold most
    of the weights, so a cap keeps a checkpoint small without thinning the first stages."""
    plans = json.loads(plans_path.read_text())
    for name, configuration in plans["configurations"].items():
        kwargs = configuration.get("architecture", {}).get("arch_kwargs")
        if kwargs and "features_per_stage" in kwargs:
            kwargs["features_per_stage"] = [min(cap or f, max(4, f // divisor)) for f in kwargs["features_per_stage"]]
    plans_path.write_text(json.dumps(plans, indent=2))


def dataset_folder(model: dict) -> str:
    return f"Dataset{model['dataset_id']:03d}_{model['dataset']}"


def preprocess(model: dict, env: dict) -> None:
    bin_dir = Path(sys.executable).parent
    run([bin_dir / "nnUNetv2_preprocess", "-d", model["dataset_id"], "-plans_name", PLANS_NAME,
         "-c", model["configuration"], "-np", "1"], env)


def reuse_plans(model: dict, env: dict, model_folder: Path) -> None:
    """Continuing a bundled model: its own plans.json (as OrganaPlans) and fingerprint go to nnUNet_preprocessed,
    so that preprocessing and the network are exactly the bundled model's (no re-planning)."""
    folder = Path(env["nnUNet_preprocessed"]) / dataset_folder(model)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(model_folder / "plans.json", folder / f"{PLANS_NAME}.json")
    shutil.copy2(model_folder / "dataset_fingerprint.json", folder / "dataset_fingerprint.json")
    respace(model, folder / f"{PLANS_NAME}.json", folder / "dataset_fingerprint.json")
    raw = json.loads((Path(env["nnUNet_raw"]) / dataset_folder(model) / "dataset.json").read_text())
    bundled = json.loads((model_folder / "dataset.json").read_text())
    if raw["labels"] != bundled["labels"] or raw["channel_names"] != bundled["channel_names"]:
        sys.exit(f"{model['name']}: the phantom dataset's labels differ from the bundled model's dataset.json")
    shutil.copy2(Path(env["nnUNet_raw"]) / dataset_folder(model) / "dataset.json", folder / "dataset.json")


def respace(model: dict, plans_path: Path, fingerprint_path: Path) -> None:
    """When the model's spacing in MODELS differs from the bundled plans' (the preview moved from 5 mm to 4 mm),
    the continued stage trains at the new spacing with the same network and patch (so the weights carry over):
    the configuration's spacing is replaced and its median image size recomputed from the fingerprint."""
    import numpy as np

    plans = json.loads(plans_path.read_text())
    configuration = plans["configurations"][model["configuration"]]
    wanted = [float(s) for s in reversed(model["spacing"] or ())]  # nnU-Net's order is (z, y, x)
    if not wanted or configuration["spacing"] == wanted:
        return
    fingerprint = json.loads(fingerprint_path.read_text())
    sizes = [np.array(shape) * np.array(spacing) / np.array(wanted) for shape, spacing in
             zip(fingerprint["shapes_after_crop"], fingerprint["spacings"])]
    log(f"{model['name']}: continued at spacing {wanted} (z y x) instead of {configuration['spacing']}, "
        f"patch {configuration['patch_size']} kept")
    configuration["spacing"] = wanted
    configuration["median_image_size_in_voxels"] = [float(v) for v in np.round(np.median(sizes, axis=0))]
    plans_path.write_text(json.dumps(plans, indent=2))


def train(model: dict, env: dict, initial_weights: Path | None = None, threads: int = 1, fold: int | str = 0,
          validate: bool = False) -> Path:
    """nnunetv2's trainer, one fold (0 by default), for model["epochs"] x model["iterations"]; with
    initial_weights, the network starts from that checkpoint's weights (every key, seg layers included) with a
    fresh optimizer and schedule. validate: then nnunetv2's validation, which also writes the segmentations a
    cascade's next stage trains on (predicted_next_stage/)."""
    os.environ.update({k: env[k] for k in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results",
                                           "nnUNet_n_proc_DA", "nnUNet_compile")})
    import torch
    from nnunetv2.run.run_training import get_trainer_from_args

    torch.set_num_threads(threads)
    trainer = get_trainer_from_args(str(model["dataset_id"]), model["configuration"], fold, model["trainer"],
                                    PLANS_NAME, device=torch.device("cpu"))
    trainer.num_epochs = model["epochs"]
    trainer.num_iterations_per_epoch = model["iterations"]
    trainer.num_val_iterations_per_epoch = 5
    if initial_weights is not None:
        trainer.initialize()
        checkpoint = torch.load(initial_weights, map_location="cpu", weights_only=False)
        trainer.network.load_state_dict(checkpoint["network_weights"])
        log(f"{model['name']}: network initialised from {initial_weights}")
    started = time.time()
    trainer.run_training()
    log(f"{model['name']}: trained in {time.time() - started:.0f} s")
    if validate:
        trainer.perform_actual_validation(False)
    return Path(trainer.output_folder_base)


def export(model: dict, results: Path, models_root: Path, folds: tuple[int | str, ...] = (0,)) -> Path:
    """Copies the results folder's JSON files and the given folds' final checkpoints (optimizer state removed)
    to models_root/<name>/, replacing what was there."""
    import torch

    target = models_root / model["name"]
    if target.exists():
        shutil.rmtree(target)
    for name in ("dataset.json", "plans.json", "dataset_fingerprint.json"):
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(results / name, target / name)
    for fold in folds:
        (target / f"fold_{fold}").mkdir(parents=True)
        checkpoint = torch.load(results / f"fold_{fold}" / "checkpoint_final.pth", map_location="cpu",
                                weights_only=False)
        checkpoint["optimizer_state"] = None
        checkpoint["grad_scaler_state"] = None
        torch.save(checkpoint, target / f"fold_{fold}" / "checkpoint_final.pth")
    return target


def dice(expected, found) -> float:
    """Dice of two boolean masks (numpy); 1.0 when both are empty."""
    denominator = expected.sum() + found.sum()
    return float(2 * (expected & found).sum() / denominator) if denominator else 1.0


def cl_dice(expected, found) -> float:
    """Centreline Dice (clDice, Shit et al., CVPR 2021) of two boolean masks: the harmonic mean of the share of
    expected's skeleton that found covers and the share of found's skeleton inside expected. Volume Dice of a tube a
    few voxels wide is mostly its boundary; clDice asks whether the tube is there along its length (a segmentation
    broken into pieces scores low). Skeletons by skimage's 3-D thinning (Lee 1994); 1.0 when both are empty."""
    from skimage.morphology import skeletonize

    if not expected.any() and not found.any():
        return 1.0
    truth_axis, found_axis = skeletonize(expected), skeletonize(found)
    covered = (truth_axis & found).sum() / max(truth_axis.sum(), 1)
    inside = (found_axis & expected).sum() / max(found_axis.sum(), 1)
    return float(2 * covered * inside / (covered + inside)) if covered + inside else 0.0


def evaluate(model: dict, model_folder: Path, work: Path, env: dict, training: dict) -> dict:
    """Dice per structure on TEST_SEEDS, written with the model's training record to its evaluation.json."""
    import numpy as np
    import torch
    from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor

    torch.set_num_threads(1)
    # Mirroring (test-time augmentation) off: 8x faster on the CPU; the Dice reported is without TTA.
    predictor = nnUNetPredictor(tile_step_size=0.5, use_gaussian=True, use_mirroring=False,
                                perform_everything_on_device=False, device=torch.device("cpu"))
    predictor.initialize_from_trained_model_folder(str(model_folder), use_folds=(0,),
                                                   checkpoint_name="checkpoint_final.pth")
    cases = work / "evaluation" / model["name"]
    scores, centrelines = score(predictor, model, cases, env)
    result = {"seeds": list(TEST_SEEDS), "mirroring": False, "dice": scores,
              "mean_dice": {label: float(np.mean(values)) for label, values in scores.items()}}
    if centrelines:
        result |= {"cl_dice": centrelines,
                   "mean_cl_dice": {label: float(np.mean(values)) for label, values in centrelines.items()}}
    result["training"] = training
    (model_folder / "evaluation.json").write_text(json.dumps(result, indent=2))
    log(f"{model['name']}: Dice {result['mean_dice']}")
    return result


def score(predictor, model: dict, cases: Path, env: dict) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Dice per structure, and centreline Dice per tube, of the predictor on the phantom of each TEST_SEED."""
    import SimpleITK as sitk

    scores: dict[str, list[float]] = {label: [] for label in model["labels"]}
    centrelines: dict[str, list[float]] = {label: [] for label in model["labels"] if label in TUBES}
    for seed in TEST_SEEDS:
        folder = cases / f"seed-{seed}"
        run([ORGANA, "phantom", "--out", folder, "--seed", seed], env)
        prediction = folder / "prediction.nii.gz"
        predictor.predict_from_files([[str(folder / "ct.nii.gz")]], [str(prediction)], save_probabilities=False,
                                     overwrite=True, num_processes_preprocessing=1,
                                     num_processes_segmentation_export=1)
        truth = sitk.GetArrayFromImage(sitk.ReadImage(str(folder / "labels.nii.gz")))
        predicted = sitk.GetArrayFromImage(sitk.ReadImage(str(prediction)))
        for index, label in enumerate(model["labels"], start=1):
            expected, found = truth == PHANTOM_LABELS[label], predicted == index
            scores[label].append(dice(expected, found))
            if label in centrelines:
                centrelines[label].append(cl_dice(expected, found))
    return scores, centrelines


def plans_spacing(model: dict, model_folder: Path) -> list[float]:
    """The spacing (mm, z y x) of the model's configuration in its plans.json."""
    plans = json.loads((model_folder / "plans.json").read_text())
    return plans["configurations"][model["configuration"]]["spacing"]


def training_record(model: dict, model_folder: Path, previous: dict | None) -> dict:
    """Trainer, stages (epochs, iterations, training cases, wall time) and mirroring axes of the bundled
    checkpoint; previous: the earlier stages' record when this stage continued from them."""
    import torch

    checkpoint = torch.load(model_folder / "fold_0" / "checkpoint_final.pth", map_location="cpu",
                            weights_only=False)
    stamps = checkpoint["logging"]
    stage = {"trainer": checkpoint["trainer_name"], "epochs": checkpoint["current_epoch"],
             "iterations_per_epoch": model["iterations"], "cases": model["cases"],
             "spacing": plans_spacing(model, model_folder),
             "wall_s": round(stamps["epoch_end_timestamps"][-1] - stamps["epoch_start_timestamps"][0])}
    if previous is not None:  # continued from the bundled weights: earlier stages first
        stages = previous.get("stages") or [{k: previous[k] for k in ("trainer", "epochs", "iterations_per_epoch",
                                                                      "wall_s")}]
        stages = [{"trainer": previous["trainer"], **s} for s in stages]
        stage["initialised_from"] = "the previous stage's weights (fresh AdamW and poly schedule)"
        stages = [*stages, stage]
    else:
        stages = [stage]
    return {"trainer": checkpoint["trainer_name"],
            "epochs": sum(s["epochs"] for s in stages),
            "iterations_per_epoch": model["iterations"],
            "wall_s": sum(s["wall_s"] for s in stages),
            "stages": stages,
            "inference_allowed_mirroring_axes": checkpoint["inference_allowed_mirroring_axes"]}


README_HEAD = """# Bundled nnU-Net models

Genuine nnU-Net v2 results folders, trained on Organa's phantoms with the real nnunetv2 on a CPU by
`tools/models/train_models.py` (pinned versions in `tools/models/requirements-models.txt`: nnunetv2 2.8.1,
torch 2.15.0). The layout is exactly what `nnUNetv2_train` writes (`dataset.json`, `plans.json`,
`dataset_fingerprint.json`, `fold_0/checkpoint_final.pth`); the checkpoints have their optimizer state removed
(`optimizer_state = None`) and stay loadable by `nnUNetPredictor`. Networks are small on purpose
(`features_per_stage` divided by 4, and at most 64 for `ureter-v1`, in a custom `OrganaPlans` plans file) and trained
briefly on 24 phantoms (fold 0: 19 training cases; epochs x iterations below, batch and patch from the plans), so
they are test and demonstration models, not clinical ones.

The trainers are Organa's own, in `tools/models/organa_trainers.py`, which the training and fixture scripts
install into the venv's nnunetv2 (`nnunetv2/training/nnUNetTrainer/variants/organa/`) so that `nnUNetPredictor`
finds them by name: no spatial or intensity augmentation, AdamW at 1e-3 with nnU-Net's poly schedule (nnU-Net's
default SGD collapsed these small networks to all-background). `nnUNetTrainerOrganaMirror` keeps random mirroring
in training, so `kidney-tumor-v1` keeps test-time mirroring axes (0, 1, 2); `nnUNetTrainerOrganaNoDA`,
`nnUNetTrainerOrganaNoDAFg` (every patch centred on foreground, for the thin ureter) and
`nnUNetTrainerOrganaNoDAFgHalf` (half the patches; `...TumorCE` also weights the tumour's cross-entropy 4x) train
without mirroring, so those models have none (`inference_allowed_mirroring_axes = None`). Wall times below are on a 2-core machine, two trainings at once,
PyTorch on one thread each.

The lab's model set: `vessels`, `ureter` (v2) and `kidney-tumor` (v2) at the fine grid, the older
`kidney-tumor-v1` (3 x 3 x 3.5 mm) and `ureter-v1` (2-D), and the coarse `preview`. The catalog
(`catalog.json`) takes the newest model of each family that the CT's slices allow (v2 models: slices up to 3 mm)
unless a request pins a version.

Re-create (from the repository root; a venv with requirements-models.txt; CPU; 15-30 minutes per model):

    swift build -c release --product organa
    python tools/models/train_models.py [--only vessels,ureter]

Models whose table row shows several stages (`A x 50 + B x 50`) were trained from scratch for the first and then
continued from the bundled weights for each further stage, on the same 24 phantoms (the preview's last four stages
and the vessels' second: 64, `--cases 64`, seeds 1000-1063) and with the bundled plans (for the preview's last stage with the spacing changed
to 4 mm, below), each stage with a fresh AdamW and poly schedule (`evaluation.json` lists the stages with their
trainers, training phantoms, spacing and wall times).
The continued stages, and the two models trained last, were run as follows on a 2-core machine. Before the preview's
64-phantom stages, two or three trainings ran at once (90-140 s per epoch of 50 iterations for the 3-D models, 40-55 s
for the 2-D one); those five ran on two threads, alone or beside a niced evaluation (53-63 s per epoch for the
preview, 60-86 s for the vessels), and are shown in full. Of the six before them,
all but the first preview stage also ran with `--reuse-preprocessed --work DIR`, DIR holding that model's
preprocessed dataset from its previous stage:

    python tools/models/train_models.py --continue --only kidney-tumor-v1,preview,ureter
    python tools/models/train_models.py --continue --epochs 5 --only kidney-tumor-v1
    python tools/models/train_models.py --continue --epochs 3 --trainer nnUNetTrainerOrganaNoDAFgHalf --only ureter
    python tools/models/train_models.py --continue --epochs 30 --trainer nnUNetTrainerOrganaNoDAFgHalf --only ureter
    python tools/models/train_models.py --continue --epochs 25 --trainer nnUNetTrainerOrganaNoDAFgHalf --only ureter
    python tools/models/train_models.py --only kidney-tumor,ureter-v1
    python tools/models/train_models.py --continue --only kidney-tumor
    python tools/models/train_models.py --continue --epochs 10 --trainer nnUNetTrainerOrganaNoDAFgHalf --only ureter-v1
    python tools/models/train_models.py --continue --epochs 20 --trainer nnUNetTrainerOrganaNoDAFgHalf --only kidney-tumor
    python tools/models/train_models.py --continue --epochs 20 --trainer nnUNetTrainerOrganaNoDAFgHalf --only ureter-v1
    python tools/models/train_models.py --continue --epochs 20 --trainer nnUNetTrainerOrganaNoDAFgHalf --only preview
    python tools/models/train_models.py --continue --epochs 25 --trainer nnUNetTrainerOrganaNoDAFgHalf --only ureter
    python tools/models/train_models.py --continue --epochs 20 --trainer nnUNetTrainerOrganaNoDAFgHalf --only preview
    python tools/models/train_models.py --continue --epochs 20 --trainer nnUNetTrainerOrganaNoDAFgHalf --only ureter-v1
    python tools/models/train_models.py --continue --work /tmp/organa-models-preview64 --epochs 40 --cases 64 \\
        --threads 2 --trainer nnUNetTrainerOrganaNoDAFgHalf --only preview
    python tools/models/train_models.py --continue --reuse-preprocessed --work /tmp/organa-models-preview64 \\
        --epochs 30 --cases 64 --threads 2 --trainer nnUNetTrainerOrganaNoDAFgHalf --only preview
    python tools/models/train_models.py --continue --reuse-preprocessed --work /tmp/organa-models-preview64 \\
        --epochs 25 --cases 64 --threads 2 --trainer nnUNetTrainerOrganaNoDAFgHalfTumorCE --only preview
    python tools/models/train_models.py --continue --work /tmp/organa-models-preview4 --epochs 40 --cases 64 \\
        --threads 2 --trainer nnUNetTrainerOrganaNoDAFgHalfTumorCE --only preview    # at 4 mm (MODELS' spacing)
    python tools/models/train_models.py --continue --work /tmp/organa-models-vessels64 --epochs 30 --cases 64 \\
        --threads 2 --trainer nnUNetTrainerOrganaNoDAFgHalf --only vessels

After its first two stages the ureter model found 82-93 % of the ureter on the unseen phantoms, but 70-76 % of
what it marked lay in 60-80 spots away from the ureters: every training patch of `nnUNetTrainerOrganaNoDAFg` is
centred on the ureter, so it rarely saw the rest of the abdomen. Its later stages use
`nnUNetTrainerOrganaNoDAFgHalf`, which centres half the patches on foreground: Dice 0.41 -> 0.66 after 3 epochs,
0.85 after 30 more, 0.87 after 25 more and 0.88 after another 25. `ureter-v1` (2-D) first had
`features_per_stage` divided by 8 and 6 epochs and never marked a voxel (Dice 0); it was retrained from scratch
with the first stages divided by 4 and the deep ones capped at 64 (a 3 MB checkpoint; uncapped, 8.5 MB): its Dice
stayed near 0 for 4 epochs, then rose to 0.79 after 30 epochs, 0.80 and 0.82 after two further stages of 20.
`kidney-tumor` gained little from its third stage (held-out tumour 0.932 -> 0.930, but in the whole job
0.892 -> 0.935 on seed 9001, below).

**The vessels' renal arteries and veins.** After its first stage (12 epochs of `nnUNetTrainerOrganaNoDA`) `vessels`
scored artery 0.946 and vein 0.931, yet it marked neither renal artery nor renal vein on any of the three held-out
phantoms: it had learned the aorta, the IVC and the iliac vessels, which are most of the vessels' volume. Centreline
Dice showed it (artery 0.785, vein 0.755), and so do `JobTests`, which now also check how much of each renal
vessel's and ureter's axis the merged label map covers (`PhantomAnatomy.centrelines`; that model: 0 of 41-78 axis
points for each of the four renal vessels). A second stage of 30 epochs of `nnUNetTrainerOrganaNoDAFgHalf` on 64
phantoms: artery 0.946 -> 0.983, vein 0.931 -> 0.970, centreline Dice artery 0.785 -> 0.968, vein 0.755 -> 0.980.

**The preview, first at 5 mm.** Its first 13 epochs (`nnUNetTrainerOrganaNoDA`, random patches) never marked a
tumour or ureter voxel; two stages of 20 epochs with half the patches on foreground (`nnUNetTrainerOrganaNoDAFgHalf`,
whose foreground pick is uniform over the classes present) brought tumour 0.00 -> 0.49 -> 0.52 and ureter 0.00 ->
0.40 -> 0.42. Its validation Dice then stalled while the training loss kept falling on 19 training phantoms, so the
next two stages (40 and 30 epochs) trained on 64 phantoms (51 in fold 0's training split): tumour 0.52 -> 0.63 ->
0.64, ureter 0.42 -> 0.46 -> 0.46; then 25 epochs of `nnUNetTrainerOrganaNoDAFgHalfTumorCE` (the tumour's
cross-entropy weighted 4x): tumour 0.69 (per seed 0.93 / 0.22 / 0.93: seed 9002's 3 mL tumour mostly missed),
ureter 0.48, ureter centreline Dice 0.29.

**Then at 4 mm.** 5 mm is too coarse for the ureter: a perfect 3-6 mm ureter resampled to 5 mm and back to the
evaluation grid breaks into pieces (centreline Dice at most 0.59 / 0.67 / 0.63 on seeds 9001 / 9002 / 9003, Dice at
most 0.54 / 0.63 / 0.61), and nnU-Net's training targets at 5 mm are broken the same way: the 5 mm preview marked
the ureter near the renal pelves and hardly below them. At 4 mm, the finest grid the issue allows for the preview,
the ceilings are centreline Dice 0.92 / 0.99 / 0.88 and Dice 0.74 / 0.73 / 0.71 (`python
tools/models/resampling_cap.py --seed S --fine 96,96,75:4,4,4 --coarse 256,256,120:1.5,1.5,2.5`; at 5 mm `--fine
77,77,60:4.987,4.987,5`). So `MODELS` now plans the preview at 4 mm, and the last stage continued from the 5 mm
weights at 4 mm: the bundled plans with only the spacing changed (`respace`: same network, same 56 x 80 x 64 patch,
so every weight carries over), 40 epochs of `nnUNetTrainerOrganaNoDAFgHalfTumorCE` on the 64 phantoms. Held-out,
5 mm -> 4 mm: kidney 0.954 -> 0.963, tumour 0.694 -> 0.826 (per seed 0.916 / 0.627 / 0.935; ceiling at 4 mm 0.92 /
0.90 / 0.96), artery 0.911 -> 0.931, vein 0.900 -> 0.938, ureter 0.483 -> 0.673 (0.669 / 0.656 / 0.694, about 92 %
of its Dice ceiling), ureter centreline Dice 0.29 -> 0.68. The ureter stays under 0.8 in Dice because no 4 mm
segmentation can reach it on the 1.5 mm evaluation grid. The full job does not depend on the preview's tumour or
ureter: the preview only locates the kidneys, and the fine models segment tumour and ureter.

**What resampling costs on a coarser grid.** A perfect segmentation made at a model's own grid and resampled to
a coarser one (trilinear on the mask, threshold 0.5) already loses Dice: `python tools/models/resampling_cap.py`
gives, from the fine grid (1.5 x 1.5 x 2.5 mm) to 2.4 x 2.4 x 2.5 mm (seed 9001), ureter 0.938, artery 0.970,
vein 0.980, tumour 0.973; from the `kidney-tumor-v1` grid (3 x 3 x 3.5 mm, `--fine 128,128,57:3,3,3.5`), tumour
0.940 and kidney 0.965 at 2.4 mm, and tumour 0.946 (seed 9001) and 0.896 (seed 9002, a 3 mL tumour) even at
1.5 x 1.5 x 2.5 mm. So the tumour needs a fine model (`kidney-tumor`, v2), and `JobTests` scores the merged
label map at the fine grid.

**The whole job.** Dice of `organa run`'s merged label map (`--segment-only --no-mirroring`, the bundled catalog:
preview as kidney locator, `kidney-tumor` on its kidney box, `vessels`, `ureter`) against the truth, mean of seeds
9001-9003 (`python tools/models/merged_dice.py`, same field of view on both grids):

| phantom grid | kidney | tumor | artery | vein | ureter | centreline Dice: artery, vein, ureter |
|---|---:|---:|---:|---:|---:|---|
| 256 x 256 x 80 at 1.5 x 1.5 x 2.5 mm | 0.986 | 0.936 (0.940, 0.927, 0.939) | 0.981 | 0.972 | 0.892 (0.922, 0.912, 0.843) | 0.941, 0.969, 0.951 |
| 160 x 160 x 80 at 2.4 x 2.4 x 2.5 mm | 0.979 | 0.913 (0.925, 0.887, 0.926) | 0.955 | 0.931 | 0.866 (0.876, 0.891, 0.832) | 0.895, 0.926, 0.881 |

`JobTests` checks seed 9001 on the first grid: every structure's Dice >= 0.9, and at least 80 % of each renal
artery's, renal vein's and ureter's axis labelled as that structure (41/41, 78/78, 63/75 and 34/34 points on the
renal vessels, 103/103 and 96/97 on the ureters). Before the vessels' second stage the job's artery and vein were
0.941 and 0.928 (mean, first grid) with no renal vessel at all. The ureter of seed 9003 stays at 0.84 (the `ureter`
model alone on that seed's taller default phantom: 0.87). Before `kidney-tumor`'s third stage the job's tumour was
0.892 on seed 9001 while the model alone scored 0.931 on the whole image: on the kidney box the sliding-window tiles
fall elsewhere, and the less-trained network depended more on where they fell.

`evaluation.json` in each folder holds the Dice per structure of `nnUNetPredictor` (fold 0, mirroring off,
tile step 0.5, Gaussian weighting) on three phantoms never seen in training (seeds 9001-9003, default phantom
size and spacing) against the phantom's ground truth, and for the tubes (artery, vein, ureter) also their
centreline Dice (clDice, Shit et al. 2021: the harmonic mean of how much of the true tube's skeleton the prediction
covers and how much of the prediction's skeleton lies in the true tube). Volume Dice of a tube a few voxels wide is
mostly its boundary; clDice says whether the tube is there along its length. This file is regenerated from those by
`python tools/models/train_models.py --readme-only`.

"""


def stage_note(stage: dict, model: dict, config: dict) -> str:
    """What sets a training stage apart in the README table: other training phantoms, another spacing."""
    notes = []
    if stage.get("cases", model.get("cases")) != model.get("cases"):
        notes.append(f"{stage['cases']} phantoms")
    if stage.get("spacing", config["spacing"]) != config["spacing"]:
        notes.append(f"at {' x '.join(f'{v:g}' for v in stage['spacing'])} mm")
    return f" ({', '.join(notes)})" if notes else ""


def write_readme(models_root: Path) -> None:
    """models/README.md: the fixed text above and one table row per model folder."""
    rows = ["| model | configuration | spacing (mm, z y x) | patch | features | trainer | epochs x iterations | "
            "training wall time | checkpoint | Dice per structure (mean of 3 unseen phantoms) | "
            "centreline Dice per tube (mean of 3) |",
            "|---|---|---|---|---|---|---|---:|---:|---|---|"]
    planned = {m["name"]: m for m in MODELS}
    for folder in sorted(p for p in models_root.iterdir() if (p / "plans.json").exists()):
        model = planned.get(folder.name, {})
        plans = json.loads((folder / "plans.json").read_text())
        config = plans["configurations"][model.get("configuration", "3d_fullres")]
        features = config["architecture"]["arch_kwargs"]["features_per_stage"]
        evaluation = json.loads((folder / "evaluation.json").read_text()) if (folder / "evaluation.json").exists() else {}
        dice = ", ".join(f"{k} {v:.3f}" + (" (weak: < 0.8)" if v < 0.8 else "")
                         for k, v in evaluation.get("mean_dice", {}).items()) or "not evaluated"
        centreline = ", ".join(f"{k} {v:.3f}" for k, v in evaluation.get("mean_cl_dice", {}).items()) or "-"
        size = (folder / "fold_0" / "checkpoint_final.pth").stat().st_size / 1e6
        trained = evaluation.get("training", {})
        stages = trained.get("stages") or [trained]
        schedule = " + ".join(f"{s.get('epochs', '?')} x {s.get('iterations_per_epoch', '?')}" +
                              stage_note(s, model, config) for s in stages)
        wall = f"{trained['wall_s'] / 60:.0f} min" if "wall_s" in trained else "?"
        names = list(dict.fromkeys(s.get("trainer", trained.get("trainer", "?")) for s in stages))
        trainers = " then ".join(f"`{name}`" for name in names)
        rows.append(f"| `{folder.name}` | {model.get('configuration', '?')} | "
                    f"{' x '.join(f'{v:g}' for v in config['spacing'])} | {' x '.join(map(str, config['patch_size']))} | "
                    f"{features[0]}-{features[-1]} | {trainers} | {schedule} | {wall} | "
                    f"{size:.1f} MB | {dice} | {centreline} |")
    (models_root / "README.md").write_text(README_HEAD + "\n".join(rows) + "\n")


def main() -> int:
    global ORGANA
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated model names (default: all)")
    parser.add_argument("--work", default="/tmp/organa-models", help="scratch folder for nnUNet_raw/preprocessed/results")
    parser.add_argument("--evaluate-only", action="store_true", help="skip training; evaluate models/ as they are")
    parser.add_argument("--export-only", action="store_true",
                        help="skip training; export the results already under --work to models/, then evaluate")
    parser.add_argument("--smoke", action="store_true",
                        help="check the pipeline end to end in minutes: 5 cases, 1 epoch of 2 iterations, "
                             "models written under --work instead of models/")
    parser.add_argument("--continue", dest="continue_training", action="store_true",
                        help="train a further stage from the bundled weights in models/<name>/ (its own plans, "
                             "the model's `continued` schedule, a fresh optimizer) instead of from scratch")
    parser.add_argument("--epochs", type=int, help="override the epochs of the stage trained now")
    parser.add_argument("--reuse-preprocessed", action="store_true",
                        help="with --continue: train on the dataset already preprocessed under --work")
    parser.add_argument("--trainer", help="override the trainer of the stage trained now (e.g. a continued stage)")
    parser.add_argument("--cases", type=int,
                        help="override the number of training phantoms of the stage trained now (a new dataset, "
                             "seeds from 1000 up; the held-out seeds 9001-9003 stay out of it)")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch threads (default 1: a shared 2-core CPU)")
    parser.add_argument("--readme-only", action="store_true", help="only regenerate models/README.md")
    parser.add_argument("--organa", default=str(ORGANA), help="the organa binary that writes the phantoms")
    args = parser.parse_args()
    if args.readme_only:
        write_readme(REPO / "models")
        return 0
    import organa_trainers
    log(f"Organa's trainers installed at {organa_trainers.install()}")
    ORGANA = Path(args.organa)
    if not ORGANA.exists():
        sys.exit(f"{ORGANA} is missing: run `swift build -c release --product organa` first")
    if args.cases is not None and not 1 <= args.cases <= min(TEST_SEEDS) - TRAIN_SEED:
        sys.exit(f"--cases {args.cases}: must be 1...{min(TEST_SEEDS) - TRAIN_SEED}, so that the training seeds "
                 f"({TRAIN_SEED} up) stay below the held-out seeds {TEST_SEEDS}")
    work = Path(args.work)
    env = nnunet_env(work)
    wanted = set(args.only.split(",")) if args.only else {m["name"] for m in MODELS}
    models_root = work / "models-smoke" if args.smoke else REPO / "models"
    for model in (m for m in MODELS if m["name"] in wanted):
        previous = None
        if args.continue_training:
            model = dict(model, **model["continued"])
        if args.epochs:
            model = dict(model, epochs=args.epochs)
        if args.trainer:
            model = dict(model, trainer=args.trainer)
        if args.cases:
            model = dict(model, cases=args.cases)
        if args.smoke:
            model = dict(model, cases=5, epochs=1, iterations=2)
        bundled = REPO / "models" / model["name"]
        if args.continue_training and not args.evaluate_only:  # the earlier stages, before export replaces them
            previous = json.loads((bundled / "evaluation.json").read_text())["training"]
        if args.continue_training and not args.export_only and not args.evaluate_only:
            if not args.reuse_preprocessed:
                make_dataset(model, env)
                reuse_plans(model, env, bundled)
                preprocess(model, env)
            results = train(model, env, initial_weights=bundled / "fold_0" / "checkpoint_final.pth",
                            threads=args.threads)
            folder = export(model, results, models_root)
        elif args.export_only:
            results = (Path(env["nnUNet_results"]) / dataset_folder(model) /
                       f"{model['trainer']}__{PLANS_NAME}__{model['configuration']}")
            folder = export(model, results, models_root)
        elif not args.evaluate_only:
            make_dataset(model, env)
            plan(model, env)
            preprocess(model, env)
            results = train(model, env, threads=args.threads)
            folder = export(model, results, models_root)
        else:
            folder = models_root / model["name"]
        recorded = folder / "evaluation.json"
        if args.evaluate_only and recorded.exists():  # re-evaluating: the training record stays as it is
            training = json.loads(recorded.read_text())["training"]
        else:
            training = training_record(model, folder, previous)
        evaluate(model, folder, work, env, training)
    if not args.smoke:
        write_readme(models_root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
