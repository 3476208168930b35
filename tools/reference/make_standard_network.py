#!/usr/bin/env python3
"""A standard-size nnU-Net results folder with random weights, for performance work only (not committed).

nnU-Net's default 3d_fullres network for a 128^3 patch: PlainConvUNet, 6 stages, features 32-64-128-256-320-320,
3x3x3 kernels, strides 1,2,2,2,2,2, two convs per stage, instance norm, leaky ReLU — built by nnunetv2 from a
plans file derived from the bundled `models/vessels/plans.json`, weights from torch's default initialisation
(seeded), saved as a genuine results folder (dataset.json, plans.json, fold_0/checkpoint_final.pth with the keys
nnUNetTrainer writes). The folder is loaded back with nnUNetPredictor and one tile is run as a check.

Run (torch + nnunetv2 from tools/models/requirements-models.txt):
    python tools/reference/make_standard_network.py --out /tmp/organa-standard-net [--patch 128]
The checkpoint is about 120 MB: keep it outside the repository.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "models" / "vessels"


def standard_plans(template: dict, patch: int) -> dict:
    plans = copy.deepcopy(template)
    plans["plans_name"] = "OrganaStandardPlans"
    config = plans["configurations"]["3d_fullres"]
    stages = 6
    config.update({"patch_size": [patch] * 3, "spacing": [1.0, 1.0, 1.0], "batch_size": 2})
    config["architecture"]["arch_kwargs"].update({
        "n_stages": stages,
        "features_per_stage": [min(32 * 2 ** i, 320) for i in range(stages)],
        "kernel_sizes": [[3, 3, 3]] * stages,
        "strides": [[1, 1, 1]] + [[2, 2, 2]] * (stages - 1),
        "n_conv_per_stage": [2] * stages,
        "n_conv_per_stage_decoder": [2] * (stages - 1),
    })
    plans["configurations"] = {"3d_fullres": config}
    return plans


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--patch", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if REPO in args.out.resolve().parents:
        sys.exit("write the standard network outside the repository (it is large)")
    import torch
    from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor
    from nnunetv2.utilities.get_network_from_plans import get_network_from_plans
    from nnunetv2.utilities.plans_handling.plans_handler import PlansManager

    torch.manual_seed(args.seed)
    plans = standard_plans(json.loads((TEMPLATE / "plans.json").read_text()), args.patch)
    dataset = json.loads((TEMPLATE / "dataset.json").read_text())
    if args.out.exists():
        shutil.rmtree(args.out)
    (args.out / "fold_0").mkdir(parents=True)
    (args.out / "plans.json").write_text(json.dumps(plans, indent=4))
    (args.out / "dataset.json").write_text(json.dumps(dataset, indent=4))
    shutil.copy2(TEMPLATE / "dataset_fingerprint.json", args.out / "dataset_fingerprint.json")

    manager = PlansManager(plans)
    config = manager.get_configuration("3d_fullres")
    labels = manager.get_label_manager(dataset)
    arch = config.network_arch_init_kwargs
    network = get_network_from_plans(config.network_arch_class_name, arch, config.network_arch_init_kwargs_req_import,
                                     1, labels.num_segmentation_heads, allow_init=True, deep_supervision=True)
    checkpoint = {
        "network_weights": network.state_dict(),
        "optimizer_state": None,
        "grad_scaler_state": None,
        "logging": {},
        "_best_ema": None,
        "current_epoch": 0,
        "init_args": {"plans": plans, "configuration": "3d_fullres", "fold": 0, "dataset_json": dataset,
                      "device": torch.device("cpu")},
        "trainer_name": "nnUNetTrainer",
        "inference_allowed_mirroring_axes": (0, 1, 2),
    }
    torch.save(checkpoint, args.out / "fold_0" / "checkpoint_final.pth")

    predictor = nnUNetPredictor(use_mirroring=False, perform_everything_on_device=False, device=torch.device("cpu"))
    predictor.initialize_from_trained_model_folder(str(args.out), use_folds=(0,), checkpoint_name="checkpoint_final.pth")
    predictor.network.load_state_dict(predictor.list_of_parameters[0])
    predictor.network.eval()
    torch.set_num_threads(2)
    tile = torch.randn(1, 1, args.patch, args.patch, args.patch)
    with torch.inference_mode():
        start = time.perf_counter()
        out = predictor.network(tile)
        seconds = time.perf_counter() - start
    parameters = sum(p.numel() for p in network.parameters())
    size = (args.out / "fold_0" / "checkpoint_final.pth").stat().st_size / 1e6
    print(f"{args.out}: {parameters / 1e6:.1f} M parameters, checkpoint {size:.0f} MB, "
          f"one {args.patch}^3 tile -> {tuple(out.shape)} in {seconds:.2f} s (torch, 2 threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
