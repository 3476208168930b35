#!/usr/bin/env python3
"""Time and peak memory of one nnU-Net prediction: `nnUNetv2_predict_from_modelfolder -device cpu` vs
`organa predict`, in the same run, on the same phantom CT, with the same model, folds and settings.

Purpose
    Issue 5 acceptance: end-to-end time and peak RSS of Organa's native predictor against nnunetv2 on a
    512x512x(>=100) phantom with a bundled model, plus the agreement of the two segmentations.

What it does
    1. `organa phantom` writes a CT of --size voxels at --spacing mm (seed --seed).
    2. nnunetv2's own CLI (`nnUNetv2_predict_from_modelfolder -i IN -o OUT -m MODEL -f FOLDS -device cpu`,
       default worker processes; --disable_tta unless --tta) and `organa predict` (--threads T,
       OPENBLAS_CORETYPE=SkylakeX unless set, as tools/bench/compare_network.py) run one after the other.
    3. Each run's peak memory is the peak of the summed RSS, and of the summed PSS (shared pages split between
       the processes sharing them), of the whole process tree (nnunetv2 starts preprocessing/export worker
       processes), sampled from /proc/PID/smaps_rollup every 20 ms; time is wall-clock.
    4. Both segmentations are compared: per-label Dice and voxel agreement.

How to run (from the repository root)
    swift build -c release --product organa
    /work/venv-nnunet-light/bin/python tools/bench/compare_predict.py --organa .build/release/organa \\
        --model models/vessels [--size 512,512,100] [--spacing 0.8,0.8,2.5] [--tta] [--nnunet-workers 1] \\
        [--json out.json]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def tree_memory_bytes(root_pid: int) -> tuple[int, int]:
    """(summed RSS, summed PSS) of root_pid and all its descendants. PSS splits pages shared between processes
    (forked workers, shared libraries), so its sum does not count them twice; RSS is what `ps` shows."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    rss = pss = 0
    stack = [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, pss


def measure(command: list[str], env: dict | None = None) -> dict:
    """Runs a command, sampling the process tree's RSS; returns seconds, peak bytes, exit status."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = peak_pss = 0
    done = threading.Event()

    def sample():
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = tree_memory_bytes(process.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0].decode(errors="replace")
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-4000:]}")
    return {"seconds": seconds, "peak_rss_bytes": peak, "peak_pss_bytes": peak_pss, "command": " ".join(command)}


def agreement(a_path: str, b_path: str) -> dict:
    import numpy as np
    import SimpleITK as sitk
    a = sitk.GetArrayFromImage(sitk.ReadImage(a_path))
    b = sitk.GetArrayFromImage(sitk.ReadImage(b_path))
    dice = {}
    for label in sorted(set(np.unique(a)) | set(np.unique(b))):
        if label == 0:
            continue
        x, y = a == label, b == label
        dice[int(label)] = float(2 * np.logical_and(x, y).sum() / max(1, x.sum() + y.sum()))
    return {"voxel_agreement": float((a == b).mean()), "dice": dice, "voxels": int(a.size)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organa", required=True)
    parser.add_argument("--model", default="models/vessels")
    parser.add_argument("--folds", default="0")
    parser.add_argument("--size", default="512,512,100", help="x,y,z voxels")
    parser.add_argument("--spacing", default="0.8,0.8,2.5", help="x,y,z mm")
    parser.add_argument("--seed", default="4242")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--tta", action="store_true", help="mirroring on (default off in both)")
    parser.add_argument("--nnunet-workers", type=int,
                        help="nnunetv2's -npp and -nps (default: its own, 3 and 3 worker processes)")
    parser.add_argument("--json")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    work = Path(tempfile.mkdtemp(prefix="organa-predict-bench-"))
    try:
        subprocess.run([args.organa, "phantom", "--out", str(work / "phantom"), "--seed", args.seed,
                        "--size", args.size, "--spacing", args.spacing], check=True, capture_output=True)
        (work / "in").mkdir()
        shutil.copy(work / "phantom" / "ct.nii.gz", work / "in" / "case_0000.nii.gz")
        folds = args.folds.split(",")
        nnunet = [str(bin_dir / "nnUNetv2_predict_from_modelfolder"), "-i", str(work / "in"), "-o",
                  str(work / "nnunet"), "-m", args.model, "-f", *folds, "-device", "cpu"]
        organa = [args.organa, "predict", "--model", args.model, "--input", str(work / "in" / "case_0000.nii.gz"),
                  "--output", str(work / "organa.nii.gz"), "--folds", args.folds, "--threads", str(args.threads)]
        if args.nnunet_workers:
            nnunet += ["-npp", str(args.nnunet_workers), "-nps", str(args.nnunet_workers)]
        if not args.tta:
            nnunet.append("--disable_tta")
            organa.append("--no-mirroring")
        organa_env = dict(os.environ)
        organa_env.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
        results = {"size": args.size, "spacing": args.spacing, "model": args.model, "folds": args.folds,
                   "tta": args.tta, "nnunet_workers": args.nnunet_workers, "threads": args.threads, "cpu_count": os.cpu_count(),
                   "load_average_before": os.getloadavg()}
        results["nnunet"] = measure(nnunet)
        results["organa"] = measure(organa, organa_env)
        results["load_average_after"] = os.getloadavg()
        results["agreement"] = agreement(str(work / "nnunet" / "case.nii.gz"), str(work / "organa.nii.gz"))
        results["time_ratio"] = results["organa"]["seconds"] / results["nnunet"]["seconds"]
        results["rss_ratio"] = results["organa"]["peak_rss_bytes"] / results["nnunet"]["peak_rss_bytes"]
        results["pss_ratio"] = results["organa"]["peak_pss_bytes"] / results["nnunet"]["peak_pss_bytes"]
        for name in ("nnunet", "organa"):
            r = results[name]
            print(f"{name:7s} {r['seconds']:8.1f} s  peak RSS {r['peak_rss_bytes'] / 2**20:8.0f} MiB, "
                  f"PSS {r['peak_pss_bytes'] / 2**20:8.0f} MiB")
        print(f"ratio   time {results['time_ratio']:.2f}x, peak RSS {results['rss_ratio']:.2f}x, "
              f"PSS {results['pss_ratio']:.2f}x; "
              f"agreement {results['agreement']['voxel_agreement']:.6f}, Dice {results['agreement']['dice']}")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
