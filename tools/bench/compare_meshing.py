#!/usr/bin/env python3
"""Label map -> smoothed, decimated meshes: Organa vs VTK in one run, same input, same quality metrics.

VTK pipeline (exactly research/mesh_bench.py's fe_crop): per label crop to bbox+1 ->
vtkDiscreteFlyingEdges3D -> vtkWindowedSincPolyDataFilter (20 it, pass band 0.01, Nuttall, non-manifold
smoothing, normalized coordinates) -> vtkQuadricDecimation (target reduction, volume preservation) ->
IJK->world with winding flip (det<0) -> vtkPolyDataNormals. Timed in process (wall and CPU), the label
map already in memory. Organa: `organa mesh` on the .nii.gz (its own read excluded from "mesh" time,
which includes writing the OBJ files). Both outputs are scored by mesh_bench.score (volume ratio vs voxel
volume, symmetric surface distance to the voxel staircase, HD95, open/non-manifold edges, distance to
the true analytic shapes).

Usage:
  compare_meshing.py --organa .build/release/organa --work /tmp/meshbench [--decimate 0.8] [--reps 3]
      [--labels phantom-labels.nii.gz]
Without --labels the input is research/mesh_bench.py's synthetic map (with analytic ground-truth shapes);
with --labels any label map (e.g. `organa phantom --size 512,512,200 --spacing 0.8,0.8,1.5`) whose labels
1..6 are kidney, tumor, artery, vein, ureter, (perirenal) fat.
Needs: vtk, numpy, scipy, nibabel (pip, e.g. a venv), and research/mesh_bench.py (default
../shared/research beside the repository; --research DIR).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

LABEL_NAMES = {1: "kidney", 2: "tumor", 3: "artery", 4: "vein", 5: "ureter", 6: "fat"}


def load_obj(path):
    """(P, F) of a single-object OBJ written by Organa (v and f lines only)."""
    P, F = [], []
    with open(path) as fh:
        for line in fh:
            if line.startswith("v "):
                P.append([float(x) for x in line.split()[1:4]])
            elif line.startswith("f "):
                F.append([int(x.split("/")[0]) - 1 for x in line.split()[1:4]])
    return np.array(P, float), np.array(F, np.int64)


def vtk_pipeline(mb, vol, decim, iters, passband):
    import vtk
    t0w, t0c = time.perf_counter(), time.process_time()
    boxes = mb.crop_boxes(vol)
    out = {}
    for L in mb.LABELS:
        b = boxes[L]
        img = mb.to_vtk_image(vol[b], origin=[x.start for x in b])
        fe = vtk.vtkDiscreteFlyingEdges3D()
        fe.SetInputData(img)
        fe.SetValue(0, L)
        fe.ComputeNormalsOff()
        fe.ComputeGradientsOff()
        fe.ComputeScalarsOff()
        fe.Update()
        sm = mb.windowed_sinc(fe.GetOutput(), iters, passband)
        if decim > 0:
            q = vtk.vtkQuadricDecimation()
            q.SetInputData(sm)
            q.SetTargetReduction(decim)
            q.VolumePreservationOn()
            q.Update()
            sm = q.GetOutput()
        P, F = mb.pd_arrays(sm)
        mb.world_normals(P, F)
        out[L] = (P, F)
    return out, time.perf_counter() - t0w, time.process_time() - t0c


def organa_run(organa, nifti, outdir, decim, smoothing, threads, extra=()):
    names = ",".join("%d=%s" % kv for kv in LABEL_NAMES.items())
    cmd = [organa, "mesh", "--labels", nifti, "--out", outdir, "--smoothing", str(smoothing),
           "--decimate", str(decim), "--names", names, *extra]
    if threads:
        cmd += ["--threads", str(threads)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit("organa failed: " + p.stderr)
    m = re.search(r"read ([0-9.]+) s, meshed and wrote ([0-9.]+) s", p.stdout)
    return {"process_wall_s": wall, "read_s": float(m.group(1)), "mesh_s": float(m.group(2)), "cmd": " ".join(cmd)}


def organa_meshes(mb, outdir):
    inv = np.linalg.inv(mb.AFFINE)
    res = {}
    for L, name in LABEL_NAMES.items():
        P, F = load_obj(os.path.join(outdir, name + ".obj"))
        ras = P * np.array([-1.0, -1.0, 1.0])          # Organa writes LPS
        ijk = ras @ inv[:3, :3].T + inv[:3, 3]
        if np.linalg.det(mb.AFFINE[:3, :3]) < 0:       # undo the world winding flip for IJK scoring
            F = F[:, ::-1]
        res[L] = (ijk, F)
    return res


def use_label_map(mb, path, work):
    """Point mesh_bench's globals (affine, spacing) at a NIfTI label map; returns (IJK array, path)."""
    import nibabel as nib
    os.makedirs(work, exist_ok=True)
    if os.path.exists(os.path.join(work, "primitives.json")):
        raise SystemExit(f"{work} holds the research phantom's primitives.json: use another --work folder")
    img = nib.load(path)
    mb.AFFINE = np.asarray(img.affine, float)
    mb.SPACING = tuple(float(z) for z in img.header.get_zooms()[:3])
    return np.asanyarray(img.dataobj).astype(np.uint8), os.path.abspath(path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--organa", required=True)
    ap.add_argument("--work", default="/tmp/meshbench")
    ap.add_argument("--research", default=os.path.join(here, "..", "..", "..", "shared", "research"))
    ap.add_argument("--decimate", type=float, default=0.8)
    ap.add_argument("--smoothing", type=float, default=0.5)
    ap.add_argument("--vtk-iters", type=int, default=20)
    ap.add_argument("--vtk-passband", type=float, default=0.01)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--labels", default=None, help="a NIfTI label map to use instead of the research phantom")
    ap.add_argument("--equal-settings", action="store_true",
                    help="same smoothing on both sides: VTK gets Slicer's mapping of --smoothing (pass band "
                         "10^(-4f), 20+40f iterations) and Organa --uniform-smoothing (no gentler vessel default)")
    ap.add_argument("--organa-arg", action="append", default=[],
                    help="extra argument for organa mesh, e.g. --organa-arg=--no-volume-correction (repeatable)")
    a = ap.parse_args()
    extra = list(a.organa_arg)
    if a.equal_settings:
        a.vtk_iters = int(round(20 + 40 * a.smoothing))
        a.vtk_passband = 10 ** (-4 * a.smoothing)
        extra.append("--uniform-smoothing")
    os.environ["MESHBENCH_DIR"] = a.work
    sys.path.insert(0, os.path.abspath(a.research))
    import mesh_bench as mb
    mb.WORK = a.work
    if a.labels:
        vol, nifti = use_label_map(mb, a.labels, a.work)
    else:
        if not os.path.exists(os.path.join(a.work, "labels.nii.gz")):
            mb.make_data()
        vol = mb.load()
        nifti = os.path.join(a.work, "labels.nii.gz")
    from vtkmodules.vtkCommonCore import vtkSMPTools
    vtkSMPTools.SetBackend("Sequential")

    vtk_runs = [vtk_pipeline(mb, vol, a.decimate, a.vtk_iters, a.vtk_passband) for _ in range(a.reps)]
    vtk_out = vtk_runs[0][0]
    vtk_wall = min(r[1] for r in vtk_runs)
    vtk_cpu = min(r[2] for r in vtk_runs)
    organa_dir = os.path.join(a.work, "organa_out")
    runs = {}
    for threads in (1, None):
        key = "1 thread" if threads == 1 else "all cores"
        rs = [organa_run(a.organa, nifti, organa_dir, a.decimate, a.smoothing, threads, extra)
              for _ in range(a.reps)]
        runs[key] = min(rs, key=lambda r: r["mesh_s"])
    ours = organa_meshes(mb, organa_dir)
    quality = {"vtk": {}, "organa": {}}
    for L in mb.LABELS:
        quality["vtk"][LABEL_NAMES[L]] = mb.score(vol, L, *vtk_out[L])
        quality["organa"][LABEL_NAMES[L]] = mb.score(vol, L, *ours[L])
    result = {"vtk_wall_s": vtk_wall, "vtk_cpu_s": vtk_cpu, "organa": runs, "quality": quality,
              "decimate": a.decimate, "smoothing": a.smoothing,
              "vtk_iters": a.vtk_iters, "vtk_passband": a.vtk_passband, "organa_extra": extra, "loadavg": os.getloadavg()[0]}
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(result, fh, indent=1)
    print("| pipeline | mesh time s | ratio to VTK (wall) |")
    print("|---|---|---|")
    print("| VTK 9.7 (Sequential), wall / CPU | %.3f / %.3f | 1.00 |" % (vtk_wall, vtk_cpu))
    for key, r in runs.items():
        print("| organa mesh, %s (read %.3f s excluded; process wall %.3f s) | %.3f | %.2f |" % (
            key, r["read_s"], r["process_wall_s"], r["mesh_s"], r["mesh_s"] / vtk_wall))
    print()
    print("| label | tris VTK / Organa | vol ratio VTK / Organa | MSD mm | HD95 mm | open+nonmanifold edges | GT mean abs mm |")
    print("|---|---|---|---|---|---|---|")
    for L, name in LABEL_NAMES.items():
        v, o = quality["vtk"][name], quality["organa"][name]
        gt = ("%.3f / %.3f" % (v["gt_mean_abs_mm"], o["gt_mean_abs_mm"])) if "gt_mean_abs_mm" in v else ""
        print("| %s | %d / %d | %.4f / %.4f | %.3f / %.3f | %.3f / %.3f | %d+%d / %d+%d | %s |" % (
            name, v["tris"], o["tris"], v["vol_ratio"], o["vol_ratio"], v["msd_mm"], o["msd_mm"],
            v["hd95_mm"], o["hd95_mm"], v["boundary_edges"], v["nonmanifold_edges"],
            o["boundary_edges"], o["nonmanifold_edges"], gt))


if __name__ == "__main__":
    main()
