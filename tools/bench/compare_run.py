#!/usr/bin/env python3
"""The one-read job against separate nnU-Net runs: `organa run` (all models in one process, the CT read once)
vs one `nnUNetv2_predict_from_modelfolder` call per model on the same CT, in the same run.

Purpose
    Issue 6 acceptance: on one 512x512x(>=150) phantom, the models `organa run` selects (the preview, the
    kidney-tumour model, the vessels model and the ureter model: "the four main models") run by Organa in one
    process vs by nnunetv2 in four processes. Targets: Organa's total time <= 0.33x the sum of nnunetv2's, and
    its peak RSS <= 0.5x the largest nnunetv2 peak. Also Organa's peak with and without its planning (shared
    resampling per group of models, kidney box from the preview), to show what the planning saves.

What it does
    1. `organa phantom` writes the CT (--size, --spacing, --seed).
    2. `organa run CT --out DIR --preview --no-mirroring` (planning on); its summary.json names the models.
    3. The same command with --sharing off --no-crop (planning off).
    4. For each model of step 2: `nnUNetv2_predict_from_modelfolder -i IN -o OUT -m models/<folder> -f 0
       --disable_tta -device cpu` (default worker processes), one after the other.
    Time is wall-clock; memory is the peak of the summed RSS (and PSS) of each process tree, sampled every
    20 ms (tools/bench/compare_predict.py's `measure`). Mirroring is off on both sides (8x the tiles on a CPU);
    OPENBLAS_CORETYPE=SkylakeX is set for Organa on AVX-512 CPUs as in run-default.sh.

How to run (from the repository root; pause other CPU-heavy work first)
    swift build -c release --product organa
    /work/venv-nnunet-light/bin/python tools/bench/compare_run.py --organa .build/release/organa \\
        [--size 512,512,160] [--spacing 0.75,0.75,2.0] [--json out.json]
"""
import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_predict import measure  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def organa_env() -> dict:
    env = dict(os.environ)
    if "OPENBLAS_CORETYPE" not in env and "avx512f" in Path("/proc/cpuinfo").read_text():
        env["OPENBLAS_CORETYPE"] = "SkylakeX"
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organa", required=True)
    parser.add_argument("--size", default="512,512,160")
    parser.add_argument("--spacing", default="0.75,0.75,2.0")
    parser.add_argument("--seed", default="9004")
    parser.add_argument("--json")
    args = parser.parse_args()
    nnunet = str(Path(sys.executable).with_name("nnUNetv2_predict_from_modelfolder"))
    catalog = json.loads((REPO / "models/catalog.json").read_text())
    folders = {m["id"]: m["folder"] for m in catalog["models"]}
    with tempfile.TemporaryDirectory(prefix="organa-bench-run-") as work:
        work = Path(work)
        inputs = work / "in"
        inputs.mkdir()
        ct = inputs / "case_0000.nii.gz"
        phantom = work / "phantom"
        measure([args.organa, "phantom", "--size", args.size, "--spacing", args.spacing, "--seed", args.seed,
                 "--out", str(phantom)])
        (phantom / "ct.nii.gz").rename(ct)
        results = {"size": args.size, "spacing": args.spacing}
        base = [args.organa, "run", str(ct), "--preview", "--no-mirroring", "--catalog", str(REPO / "models/catalog.json")]
        results["organa"] = measure(base + ["--out", str(work / "planned")], env=organa_env())
        results["organa_unplanned"] = measure(
            base + ["--out", str(work / "unplanned"), "--sharing", "off", "--no-crop"], env=organa_env())
        summary = json.loads((work / "planned/summary.json").read_text())
        models = ([summary["preview"]] if summary.get("preview") else []) + [
            m for group in summary["groups"] for m in group["models"]]
        results["models"] = models
        results["organa_timings"] = summary["timings"]
        results["nnunet"] = {}
        for model in models:
            out = work / f"nnunet-{model}"
            results["nnunet"][model] = measure(
                [nnunet, "-i", str(inputs), "-o", str(out), "-m", str(REPO / "models" / folders[model]), "-f", "0",
                 "--disable_tta", "-device", "cpu"])
        total = sum(r["seconds"] for r in results["nnunet"].values())
        largest = max(r["peak_rss_bytes"] for r in results["nnunet"].values())
        results["time_ratio"] = results["organa"]["seconds"] / total
        results["rss_ratio"] = results["organa"]["peak_rss_bytes"] / largest
        results["planning_rss_ratio"] = (
            results["organa"]["peak_rss_bytes"] / results["organa_unplanned"]["peak_rss_bytes"])
        mib = 2 ** 20
        for model, r in results["nnunet"].items():
            print(f"nnunetv2 {model:16s} {r['seconds']:8.1f} s  peak RSS {r['peak_rss_bytes'] / mib:7.0f} MiB")
        print(f"nnunetv2 total            {total:8.1f} s  largest peak {largest / mib:7.0f} MiB")
        for name in ("organa", "organa_unplanned"):
            r = results[name]
            print(f"{name:25s} {r['seconds']:8.1f} s  peak RSS {r['peak_rss_bytes'] / mib:7.0f} MiB")
        print(f"ratio: time {results['time_ratio']:.2f}x (target <= 0.33), peak RSS {results['rss_ratio']:.2f}x "
              f"(target <= 0.5); planning: peak {results['planning_rss_ratio']:.2f}x of unplanned")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
