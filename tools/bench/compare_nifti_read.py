#!/usr/bin/env python3
"""Time Organa's NIfTI reader/writer against SimpleITK and nibabel on the same .nii.gz, in the same run.

Purpose
    Issue acceptance: "read <= 0.5x SimpleITK's time" on a 512x512x300 int16 CT-like .nii.gz. This script
    (a) generates that volume (seeded, see ``ct_phantom``) and writes it with SimpleITK at its default gzip
    level into a temporary folder outside the repository, then (b) times, alternating round by round in a
    rotating order, each reader in a fresh subprocess:

      sitk            SimpleITK ReadImage + GetArrayFromImage (a copy, what nnU-Net does)
      sitk-view       SimpleITK ReadImage + GetArrayViewFromImage (no copy; information)
      nib-raw         nibabel load + np.asanyarray(img.dataobj): the raw int16 array (the fair comparison)
      nib-fdata       nibabel load + get_fdata(dtype=float32) (information: a float conversion on top)
      organa          nifti-compare read (whole-buffer inflate: one large gzip member on two threads, Organa's default)
      organa-stream   nifti-compare read --streaming (zlib streaming)

    and the writers (each writes the same int16 volume to .nii.gz, then the file is fsync'ed so that
    all writers pay for the disk the same way; Organa's writer fsyncs itself):

      sitk-write       SimpleITK WriteImage(useCompression=True), default level (zlib's 6)
      nib-write        nibabel save, default level (nibabel's Opener.default_compresslevel, 1)
      nib-write-6      nibabel save at level 6
      organa-write-1   Organa NiftiWriter level 1 (libdeflate, gzip members compressed in parallel)
      organa-write-6   Organa NiftiWriter level 6

    Times are taken inside each subprocess around the call only (interpreter start-up and imports are not
    counted); peak RSS is the subprocess's own VmHWM, with its value just before the first timed call.
    Every reader's voxel sum is checked against the generated array's.

How to run (from the repository root)
    (cd Benchmarks && swift build -c release --scratch-path .build-bench --product nifti-compare)
    PY="$(scripts/setup-reference-python.sh | tail -1)"
    "$PY" tools/bench/compare_nifti_read.py --rounds 7 --json /tmp/nifti-compare.json

Versions: SimpleITK 2.5.7 (ITK 5.4), nibabel 5.4.2, numpy 2.4.6 (tools/requirements-reference.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_ORGANA = REPO / "Benchmarks" / ".build-bench" / "release" / "nifti-compare"
READERS = ["sitk", "sitk-view", "nib-raw", "nib-fdata", "organa", "organa-stream"]
WRITERS = ["sitk-write", "nib-write", "nib-write-6", "organa-write-1", "organa-write-6"]


def ct_phantom(nx: int, ny: int, nz: int, noise: float = 20.0, seed: int = 1):
    """CT-like int16 volume, array order (z, y, x); the model of Benchmarks/Sources/CTPhantom.

    Outside the field of view (circle of radius nx/2 about the grid centre) -1024 exactly; a body ellipse
    centred at (0.5 nx, 0.52 ny) with semi-axes (0.40 nx, 0.30 ny) * (1 + 0.05 sin(2 pi k / nz)): soft tissue
    40 HU, fat rim (outer 8 % of the radius) -100 HU, ribs (radius 0.80-0.86 where cos(12 theta) > 0.3) and
    a spine disc (radius 0.05 nx at (0.5 nx, 0.70 ny)) +700 HU; air -1000 HU; Gaussian noise of `noise` HU
    on every voxel in the field of view (this is what makes gzip compress ~2.2x, as on real CT).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    x = np.arange(nx, dtype=np.float32)[None, None, :]
    y = np.arange(ny, dtype=np.float32)[None, :, None]
    z = np.arange(nz, dtype=np.float32)[:, None, None]
    fov = (x - (nx - 1) / 2) ** 2 + (y - (ny - 1) / 2) ** 2 <= (0.5 * nx) ** 2
    wobble = 1 + 0.05 * np.sin(2 * np.pi * z / nz)
    dx = (x - 0.5 * nx) / (0.40 * nx * wobble)
    dy = (y - 0.52 * ny) / (0.30 * ny * wobble)
    r = np.sqrt(dx * dx + dy * dy)
    volume = np.where(r <= 1, np.where(r > 0.92, -100, 40), -1000).astype(np.float32)
    ribs = (r >= 0.80) & (r <= 0.86) & (np.cos(12 * np.arctan2(dy, dx)) > 0.3)
    spine = (x - 0.5 * nx) ** 2 + (y - 0.70 * ny) ** 2 <= (0.05 * nx) ** 2
    volume = np.where(ribs | spine, 700, volume).astype(np.float32)
    volume += rng.normal(0, noise, volume.shape).astype(np.float32)
    volume = np.where(fov, volume, -1024)
    return np.clip(np.rint(volume), -32768, 32767).astype(np.int16)


# ---------------------------------------------------------------------------------------------------------
# Worker: one fresh process per measurement.


def peak_rss_kib() -> int:
    """VmHWM of this process (ru_maxrss is not used: on Linux it keeps the parent's peak across fork + exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return peak_rss_kib()


def worker(kind: str, path: str, output: str | None, inner: int, threads: int) -> dict:
    import numpy as np

    import SimpleITK as sitk
    import nibabel as nib

    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(threads)
    before = peak_rss_kib()
    times: list[float] = []
    checksum = None
    extra: dict = {}
    if kind in ("sitk", "sitk-view", "nib-raw", "nib-fdata"):
        for _ in range(inner):
            start = time.perf_counter()
            if kind == "sitk":
                array = sitk.GetArrayFromImage(sitk.ReadImage(path))
            elif kind == "sitk-view":
                image = sitk.ReadImage(path)
                array = sitk.GetArrayViewFromImage(image)
            elif kind == "nib-raw":
                array = np.asanyarray(nib.load(path).dataobj)
            else:
                array = nib.load(path).get_fdata(dtype=np.float32)
            times.append(time.perf_counter() - start)
            checksum = int(array.sum(dtype=np.float64 if kind == "nib-fdata" else np.int64))
            del array
    else:
        # Writers: the volume is read (not timed), then written `inner` times.
        image = sitk.ReadImage(path)
        array = np.asanyarray(nib.load(path).dataobj)
        header = nib.load(path).header
        before = peak_rss_kib()
        for _ in range(inner):
            start = time.perf_counter()
            if kind == "sitk-write":
                sitk.WriteImage(image, output, useCompression=True)
            else:
                level = 6 if kind == "nib-write-6" else nib.openers.Opener.default_compresslevel
                extra["level"] = level
                saved = nib.Nifti1Image(array, header.get_best_affine(), header)
                if kind == "nib-write-6":
                    default = nib.openers.Opener.default_compresslevel
                    nib.openers.Opener.default_compresslevel = 6
                    try:
                        nib.save(saved, output)
                    finally:
                        nib.openers.Opener.default_compresslevel = default
                else:
                    nib.save(saved, output)
            written = time.perf_counter()
            with open(output, "rb") as handle:
                os.fsync(handle.fileno())
            times.append(time.perf_counter() - start)
            extra.setdefault("times_without_fsync_s", []).append(written - start)
        extra["bytes"] = os.path.getsize(output)
        if kind == "sitk-write":
            extra["level"] = "default (-1 = zlib 6)"
    result = {
        "tool": kind,
        "times_s": times,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "rss_before_kib": before,
        "max_rss_kib": peak_rss_kib(),
        "threads": sitk.ProcessObject.GetGlobalDefaultNumberOfThreads() if kind.startswith("sitk") else 1,
    }
    if checksum is not None:
        result["checksum"] = checksum
    result.update(extra)
    return result


# ---------------------------------------------------------------------------------------------------------
# Driver.


def run_one(kind: str, args, path: Path, scratch: Path) -> dict:
    output = str(scratch / f"out-{kind}.nii.gz")
    if kind.startswith("organa"):
        organa = str(args.organa)
        if kind == "organa":
            command = [organa, "read", str(path), "-r", str(args.inner)]
        elif kind == "organa-stream":
            command = [organa, "read", str(path), "-r", str(args.inner), "--streaming"]
        else:
            level = kind.rsplit("-", 1)[1]
            command = [organa, "write", str(path), "-o", output, "-l", level, "-r", str(args.inner)]
    else:
        command = [sys.executable, __file__, "--worker", kind, "--file", str(path), "--output", output,
                   "--inner", str(args.inner), "--threads", str(args.threads)]
    completed = subprocess.run(command, check=True, capture_output=True, text=True, env=worker_env(args))
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["tool"] = kind
    return result


def worker_env(args) -> dict:
    env = dict(os.environ)
    env["ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS"] = str(args.threads)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(args.threads)
    return env


def alternate(kinds: list[str], rounds: int, args, path: Path, scratch: Path) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for round_index in range(rounds):
        order = kinds[round_index % len(kinds):] + kinds[:round_index % len(kinds)]
        for kind in order:
            results[kind].append(run_one(kind, args, path, scratch))
        print(f"  round {round_index + 1}/{rounds} done", file=sys.stderr)
    return results


def summarise(samples: list[dict]) -> dict:
    times = [t for sample in samples for t in sample["times_s"]]
    summary = {
        "n": len(times),
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_rss_mib": max(s["max_rss_kib"] for s in samples) / 1024,
        "rss_before_mib": max(s["rss_before_kib"] for s in samples) / 1024,
        "threads": samples[0].get("threads"),
    }
    for key in ("checksum", "bytes", "level"):
        if key in samples[0]:
            summary[key] = samples[0][key]
    if "times_without_fsync_s" in samples[0]:
        summary["median_without_fsync_s"] = statistics.median(
            t for s in samples for t in s["times_without_fsync_s"])
    return summary


def machine() -> dict:
    info = {"platform": platform.platform(), "python": platform.python_version(), "cores": os.cpu_count()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in lscpu.splitlines() if "Model name" in line)
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo") as meminfo:
        info["memory_gib"] = round(int(meminfo.readline().split()[1]) / 2**20, 1)
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organa", type=Path, default=DEFAULT_ORGANA, help="nifti-compare release binary")
    parser.add_argument("--size", default="512,512,300", help="x,y,z voxels")
    parser.add_argument("--noise", type=float, default=20.0, help="Gaussian noise, HU")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (>= 5)")
    parser.add_argument("--write-rounds", type=int, default=5, help="alternating write rounds (0: skip)")
    parser.add_argument("--inner", type=int, default=1, help="timed calls per subprocess")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="ITK/BLAS threads")
    parser.add_argument("--keep", type=Path, help="keep the generated file in this folder")
    parser.add_argument("--json", type=Path, help="write all results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(worker(args.worker, args.file, args.output, args.inner, args.threads)))
        return
    if not args.organa.exists():
        sys.exit(f"{args.organa} not found; build it: (cd Benchmarks && swift build -c release "
                 "--scratch-path .build-bench --product nifti-compare)")

    import numpy as np
    import SimpleITK as sitk
    import nibabel as nib

    scratch = Path(tempfile.mkdtemp(prefix="organa-nifti-compare-"))
    try:
        nx, ny, nz = (int(v) for v in args.size.split(","))
        start = time.perf_counter()
        volume = ct_phantom(nx, ny, nz, noise=args.noise)
        image = sitk.GetImageFromArray(volume)
        image.SetSpacing((0.8, 0.8, 2.5))
        path = scratch / "ct.nii.gz"
        sitk.WriteImage(image, str(path), useCompression=True)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, args.keep / path.name)
        expected = int(volume.sum(dtype=np.int64))
        file_bytes = path.stat().st_size
        print(f"generated {args.size} int16 in {time.perf_counter() - start:.1f} s: {file_bytes / 1e6:.1f} MB, "
              f"gzip ratio {volume.nbytes / file_bytes:.2f}", file=sys.stderr)
        path.read_bytes()  # warm the page cache: every reader reads from memory, none from disk

        reads = alternate(READERS, args.rounds, args, path, scratch)
        writes = alternate(WRITERS, args.write_rounds, args, path, scratch) if args.write_rounds else {}
        summary = {kind: summarise(samples) for kind, samples in {**reads, **writes}.items()}
        for kind in READERS:
            got = summary[kind]["checksum"]
            if kind != "nib-fdata" and got != expected:
                sys.exit(f"{kind}: voxel sum {got} != expected {expected}")
        report = {
            "machine": machine(),
            "versions": {"SimpleITK": sitk.Version.VersionString(), "nibabel": nib.__version__,
                         "numpy": np.__version__},
            "input": {"size": [nx, ny, nz], "dtype": "int16", "noise_hu": args.noise, "seed": 1,
                      "voxel_bytes": int(volume.nbytes), "file_bytes": file_bytes,
                      "gzip_ratio": volume.nbytes / file_bytes, "written_by": "SimpleITK WriteImage, default level"},
            "settings": {"rounds": args.rounds, "write_rounds": args.write_rounds, "inner": args.inner,
                         "threads": args.threads},
            "summary": summary,
            "raw": {**reads, **writes},
        }
        print_table(report)
        if args.json:
            args.json.write_text(json.dumps(report, indent=1))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def print_table(report: dict) -> None:
    summary = report["summary"]
    organa = summary["organa"]["median_s"]
    print(f"| reader | median (s) | min (s) | n | Organa / this | peak RSS (MiB) | RSS before (MiB) | threads |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in READERS:
        s = summary[kind]
        print(f"| {kind} | {s['median_s']:.3f} | {s['min_s']:.3f} | {s['n']} | {organa / s['median_s']:.2f} "
              f"| {s['max_rss_mib']:.0f} | {s['rss_before_mib']:.0f} | {s['threads']} |")
    if "sitk-write" in summary:
        print()
        print("| writer | level | median (s) | median w/o fsync (s) | min (s) | n | size (MB) | peak RSS (MiB) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for kind in WRITERS:
            s = summary[kind]
            no_sync = s.get("median_without_fsync_s")
            print(f"| {kind} | {s.get('level', kind.rsplit('-', 1)[1])} | {s['median_s']:.3f} | "
                  f"{'-' if no_sync is None else f'{no_sync:.3f}'} | {s['min_s']:.3f} | {s['n']} | "
                  f"{s['bytes'] / 1e6:.1f} | {s['max_rss_mib']:.0f} |")
    ratio = organa / summary["sitk"]["median_s"]
    print(f"\nOrgana/SimpleITK read = {ratio:.3f} (target <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'}); "
          f"Organa/nibabel(raw) = {organa / summary['nib-raw']['median_s']:.3f}")


if __name__ == "__main__":
    main()
