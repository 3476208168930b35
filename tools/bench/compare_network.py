#!/usr/bin/env python3
"""Time one nnU-Net network forward pass in PyTorch (CPU, same thread count) and in Organa, in the same run.

Purpose
    Issue acceptance (network runtime): (a) the standard-size 3d_fullres U-Net (PlainConvUNet, 6 stages,
    features 32→320, kernels 3³, two convs per stage, patch 128³) and (a') a small network like the bundled ones
    (5 stages, features 8→64, patch 64³). For each, the script writes a throw-away nnU-Net results folder
    (plans.json, dataset.json, fold_0/checkpoint_final.pth holding the randomly initialised network built by
    nnunetv2's get_network_from_plans) into a temporary folder, times PyTorch's forward of that network
    (float32, batch 1, eval + inference_mode, torch.set_num_threads(T)), then `organa model bench` on the same
    folder with --threads T. Both do one warm-up pass, then R timed passes; the median is reported. The
    rounds alternate (torch, organa, torch, organa, ...) to share out drifts in machine load.

How to run (from the repository root; the nnunetv2 venv of tools/fixtures/make_resampling_fixtures.py)
    swift build -c release --product organa
    /work/venv-nnunet-light/bin/python tools/bench/compare_network.py --organa .build/release/organa \\
        --threads 2 --repeats 3 [--cases small,standard] [--json out.json]

OpenBLAS: on CPUs with AVX-512 that Debian's OpenBLAS 0.3.21 does not recognise (this machine), Organa is run
with OPENBLAS_CORETYPE=SkylakeX unless the variable is already set (see docs/design/0002-network-runtime.md).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch
from nnunetv2.utilities.get_network_from_plans import get_network_from_plans

CASES = {
    "small": {"features": [8, 16, 32, 64, 64], "strides": [1, 2, 2, 2, 2], "patch": [64, 64, 64]},
    "standard": {"features": [32, 64, 128, 256, 320, 320], "strides": [1, 2, 2, 2, 2, 2], "patch": [128, 128, 128]},
}


def architecture(case):
    n = len(case["features"])
    return {
        "network_class_name": "dynamic_network_architectures.architectures.unet.PlainConvUNet",
        "arch_kwargs": {
            "n_stages": n, "features_per_stage": case["features"], "conv_op": "torch.nn.modules.conv.Conv3d",
            "kernel_sizes": [[3, 3, 3]] * n, "strides": [[s] * 3 for s in case["strides"]],
            "n_conv_per_stage": [2] * n, "n_conv_per_stage_decoder": [2] * (n - 1), "conv_bias": True,
            "norm_op": "torch.nn.modules.instancenorm.InstanceNorm3d", "norm_op_kwargs": {"eps": 1e-05, "affine": True},
            "dropout_op": None, "dropout_op_kwargs": None, "nonlin": "torch.nn.LeakyReLU",
            "nonlin_kwargs": {"inplace": True}},
        "_kw_requires_import": ["conv_op", "norm_op", "dropout_op", "nonlin"]}


def write_model(folder, case):
    arch = architecture(case)
    plans = {"dataset_name": "Dataset999_Bench", "plans_name": "nnUNetPlans", "image_reader_writer": "SimpleITKIO",
             "transpose_forward": [0, 1, 2], "transpose_backward": [0, 1, 2],
             "foreground_intensity_properties_per_channel": {"0": {"mean": 0.0, "std": 1.0, "percentile_00_5": -1.0,
                                                                   "percentile_99_5": 1.0}},
             "configurations": {"3d_fullres": {"patch_size": case["patch"], "spacing": [1.0, 1.0, 1.0],
                                               "normalization_schemes": ["CTNormalization"],
                                               "use_mask_for_norm": [False], "architecture": arch}}}
    dataset = {"channel_names": {"0": "CT"}, "labels": {"background": 0, "a": 1, "b": 2}, "file_ending": ".nii.gz"}
    os.makedirs(os.path.join(folder, "fold_0"), exist_ok=True)
    json.dump(plans, open(os.path.join(folder, "plans.json"), "w"))
    json.dump(dataset, open(os.path.join(folder, "dataset.json"), "w"))
    net = get_network_from_plans(arch["network_class_name"], arch["arch_kwargs"], arch["_kw_requires_import"], 1, 3,
                                 allow_init=True, deep_supervision=False)
    torch.save({"network_weights": net.state_dict(), "init_args": {"configuration": "3d_fullres"},
                "trainer_name": "nnUNetTrainer", "inference_allowed_mirroring_axes": (0, 1, 2)},
               os.path.join(folder, "fold_0", "checkpoint_final.pth"))
    return net.eval()


def time_torch(net, patch, threads, repeats):
    torch.set_num_threads(threads)
    x = torch.randn(1, 1, *patch)
    with torch.inference_mode():
        net(x)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            net(x)
            times.append(time.perf_counter() - start)
    return times


def time_organa(organa, folder, threads, repeats, env):
    out = subprocess.run([organa, "model", "bench", folder, "--threads", str(threads), "--repeats", str(repeats),
                          "--json"], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--organa", default=".build/release/organa")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--cases", default="small,standard")
    parser.add_argument("--json")
    args = parser.parse_args()
    env = dict(os.environ)
    flags = open("/proc/cpuinfo").read()
    if "avx512f" in flags:
        env.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
    results = []
    for name in args.cases.split(","):
        case = CASES[name]
        with tempfile.TemporaryDirectory(prefix="organa-netbench-") as folder:
            net = write_model(folder, case)
            torch_times, organa_times, info = [], [], None
            for _ in range(args.rounds):
                torch_times += time_torch(net, case["patch"], args.threads, args.repeats)
                info = time_organa(args.organa, folder, args.threads, args.repeats, env)
                organa_times += info["seconds"]
            gflop = info["gflop"]
            row = {"case": name, "patch": case["patch"], "features": case["features"], "threads": args.threads,
                   "gflop": gflop, "torch_median_s": statistics.median(torch_times),
                   "organa_median_s": statistics.median(organa_times), "torch_s": torch_times,
                   "organa_s": organa_times, "blas_core": info["blas_core"], "torch": torch.__version__}
            row["ratio"] = row["organa_median_s"] / row["torch_median_s"]
            results.append(row)
            print(f"{name:9s} patch {'x'.join(map(str, case['patch']))} {gflop:7.1f} GFLOP  "
                  f"torch {row['torch_median_s']:.3f} s ({gflop / row['torch_median_s']:.0f} GFLOP/s)  "
                  f"organa {row['organa_median_s']:.3f} s ({gflop / row['organa_median_s']:.0f} GFLOP/s)  "
                  f"organa/torch {row['ratio']:.2f}  [OpenBLAS {row['blas_core']}, {args.threads} threads]",
                  flush=True)
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    sys.exit(main())
