#!/usr/bin/env python3
"""Stage-wise nnU-Net reference outputs for Organa's predictor parity tests, made by the real nnunetv2.

For each bundled model (models/<name>/, fold 0 unless it has more), and each fixture model that only the tests
use (Tests/NNUNetRuntimeTests/Fixtures/trained/<name>/, made by tools/reference/make_fixture_models.py: a
two-fold ensemble, a region-based model, a cascade), and each case below, the script runs nnunetv2's own code
stage by stage and saves what each stage produced:

  ct.nii.gz             the input (an `organa phantom` crop; Int16 HU)
  case.json             SimpleITK props, crop bbox, shapes, tile positions, settings, and the array index
  preprocessed.f32      DefaultPreprocessor.run_case_npy: cropped, normalised, resampled (C, z, y, x), float32
  tile0_logits_centre.f32  one tile (the first slicer) through the network, float32, its central half in every
                        axis (start in case.json; the values depend on the whole tile), "iso" case of 3-D models only
  logits.f16            aggregated logits before export (K, z, y, x): nnU-Net accumulates in fp16, so exact
  probabilities.f16     export's probabilities on the original grid (K, z, y, x) (float32 in nnU-Net, stored fp16)
  segmentation.u8       export's label map on the original grid (z, y, x)
  previous_stage.u8     cascade stages only: the previous stage's segmentation of the case (nnUNetPredictor of
                        the previous stage's folder, mirroring off), which preprocessing appends to the network
                        input as one-hot channels (preprocessed.f32 holds them); the cascade's runs with and
                        without mirroring both take it

and once per model `gaussian.f16`, the importance map (`compute_gaussian`, fp16 in nnU-Net: exact).
Arrays are raw little-endian, C order, shapes and dtypes in case.json. The chained stages are checked against
nnunetv2's one-call `predict_single_npy_array` (segmentation identical, probabilities within 1e-6) before
anything is written, so the fixtures are what nnUNetPredictor produces.

Cases (per model):
  iso     isotropic 2 mm input, longer than the patch along z: two tiles, padding in y and x
  aniso   2 x 2 x 7 mm slices: spacing anisotropy > 3, so nnU-Net resamples with its separate-z rule
  small   the model's own spacing (no resampling), half the patch in every axis (the padding path); with
          mirroring off, and again with mirroring on (logits_mirrored.f16, probabilities_mirrored.f16,
          segmentation_mirrored.u8)
Sizes follow each model's patch and spacing (case_arguments) so that every model gets the same situations.

Run (from the repository root; torch + nnunetv2 from tools/models/requirements-models.txt, CPU, minutes):
    swift build -c release --product organa
    /work/venv-nnunet-light/bin/python tools/reference/make_predictor_fixtures.py [--models vessels,preview]
Writes Tests/NNUNetRuntimeTests/Fixtures/reference/<model>/<case>/ and a README there with the versions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "Tests" / "NNUNetRuntimeTests" / "Fixtures" / "reference"
TRAINED = REPO / "Tests" / "NNUNetRuntimeTests" / "Fixtures" / "trained"
# Cascade stages and the folder of their previous stage.
PREVIOUS_STAGE_MODEL = {"cascade": "cascade-lowres"}


def model_folder_of(name: str) -> Path:
    """A bundled model (models/<name>) or a test-only fixture model (Fixtures/trained/<name>)."""
    bundled = REPO / "models" / name
    return bundled if (bundled / "plans.json").exists() else TRAINED / name

# Seeds unseen in training (training uses 1000+). Sizes follow each model's patch and spacing (case_arguments).
SEEDS = {"iso": 9101, "aniso": 9102, "small": 9103}


def case_arguments(case: str, patch: list[int], spacing: list[float]) -> list[str]:
    """organa phantom arguments (x,y,z order) for a case, sized from the model's patch and spacing (z,y,x):
    iso   b mm isotropic, resampled shape about (1.25, 0.6, 0.6) x patch: two tiles along z, padding in y, x
    aniso b x b x 3.5b mm (anisotropy 3.5 > 3: separate-z resampling), resampled shape about 0.7 x patch
    with b = 2 mm, or 1 mm finer than the model's finest spacing when that is coarser (a 5 mm model: 4 mm)
    small the model's own spacing (no resampling), half the patch in every axis."""
    if len(patch) == 2:  # a 2-D configuration: slices along z; z extent is free
        patch, spacing = [6, *patch], [spacing[0] * 2.5, *spacing]
    scale = {"iso": (1.25, 0.6, 0.6), "aniso": (0.7, 0.7, 0.7), "small": (0.5, 0.5, 0.5)}[case]
    extent_mm = [p * f * s for p, f, s in zip(patch, scale, spacing)]  # z, y, x
    base = max(2.0, min(spacing) - 1.0)  # 2 mm; coarser for coarse models, so that the fixtures stay small
    voxel = {"iso": (base, base, base), "aniso": (3.5 * base, base, base), "small": tuple(spacing)}[case]
    size = [max(2, round(e / v)) for e, v in zip(extent_mm, voxel)]
    return ["--seed", str(SEEDS[case]), "--size", f"{size[2]},{size[1]},{size[0]}",
            "--spacing", f"{voxel[2]:g},{voxel[1]:g},{voxel[0]:g}"]


def save(folder: Path, name: str, array, dtype, index: dict) -> None:
    import numpy as np
    data = np.ascontiguousarray(np.asarray(array), dtype=dtype)
    path = folder / name
    path.write_bytes(data.astype(data.dtype.newbyteorder("<"), copy=False).tobytes())
    index[name] = {"dtype": str(np.dtype(dtype)), "shape": list(data.shape)}


def make_predictor(model_folder: Path, mirroring: bool):
    import torch
    from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor
    names = [p.name.split("_", 1)[1] for p in model_folder.glob("fold_*")]
    numbered = sorted(int(n) for n in names if n.isdigit())
    folds = numbered if numbered else names  # nnU-Net's auto-detection: "all" only when nothing else is there
    predictor = nnUNetPredictor(tile_step_size=0.5, use_gaussian=True, use_mirroring=mirroring,
                                perform_everything_on_device=False, device=torch.device("cpu"), verbose=False,
                                allow_tqdm=False)
    predictor.initialize_from_trained_model_folder(str(model_folder), use_folds=tuple(folds),
                                                   checkpoint_name="checkpoint_final.pth")
    return predictor, folds


def stagewise(predictor, image, props, previous=None):
    """nnunetv2's stages one by one: returns a dict of the intermediates. previous: a cascade stage's previous
    segmentation (1, z, y, x), preprocessed with the image and appended one-hot as the data iterators do."""
    import numpy as np
    import torch
    from acvl_utils.cropping_and_padding.padding import pad_nd_image
    from nnunetv2.inference.export_prediction import convert_predicted_logits_to_segmentation_with_correct_shape
    from nnunetv2.utilities.label_handling.label_handling import convert_labelmap_to_one_hot

    preprocessor = predictor.configuration_manager.preprocessor_class(verbose=False)
    data, seg, data_props = preprocessor.run_case_npy(image, previous, dict(props), predictor.plans_manager,
                                                      predictor.configuration_manager, predictor.dataset_json)
    if previous is not None:
        data = np.vstack((data, convert_labelmap_to_one_hot(seg[0], predictor.label_manager.foreground_labels,
                                                            data.dtype)))
    tensor = torch.from_numpy(data)
    padded, _ = pad_nd_image(tensor, predictor.configuration_manager.patch_size, "constant", {"value": 0}, True, None)
    slicers = predictor._internal_get_sliding_window_slicers(padded.shape[1:])
    predictor.network.load_state_dict(predictor.list_of_parameters[0])
    predictor.network.eval()
    with torch.inference_mode():
        tile = padded[slicers[0]][None]
        tile_logits = predictor.network(tile)[0].float()
        logits = predictor.predict_logits_from_preprocessed_data(tensor).cpu()
    segmentation, probabilities = convert_predicted_logits_to_segmentation_with_correct_shape(
        logits, predictor.plans_manager, predictor.configuration_manager, predictor.label_manager, data_props,
        return_probabilities=True)
    return {"data": data, "data_props": data_props, "padded_shape": list(padded.shape), "slicers": slicers,
            "tile_logits": tile_logits.numpy(), "logits": logits.numpy(), "segmentation": segmentation,
            "probabilities": probabilities}


def check_against_one_call(predictor, image, props, staged, previous=None) -> None:
    """The chained stages must give what nnunetv2's one-call API gives."""
    import numpy as np
    segmentation, probabilities = predictor.predict_single_npy_array(image, dict(props), previous, None, True)
    if not np.array_equal(segmentation, staged["segmentation"]):
        sys.exit("stage-wise segmentation differs from predict_single_npy_array's")
    difference = float(np.abs(probabilities - staged["probabilities"]).max())
    if difference > 1e-6:
        sys.exit(f"stage-wise probabilities differ from predict_single_npy_array's by {difference}")


def slicer_json(slicers) -> list:
    """Tile positions as [[start, stop] per spatial axis] (the channel slice is dropped; a 2-D configuration's
    slice index d becomes [d, d + 1])."""
    return [[[s, s + 1] if isinstance(s, int) else [s.start, s.stop] for s in slicer[1:]] for slicer in slicers]


def write_case(model_folder: Path, case: str, organa: Path, out: Path) -> dict:
    import numpy as np
    from nnunetv2.imageio.simpleitk_reader_writer import SimpleITKIO

    folder = out / case
    probe, _ = make_predictor(model_folder, False)
    arguments = case_arguments(case, list(probe.configuration_manager.patch_size),
                               list(probe.configuration_manager.spacing))
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    scratch = folder / "phantom"
    subprocess.run([str(organa), "phantom", "--out", str(scratch), *arguments], check=True, capture_output=True)
    shutil.move(scratch / "ct.nii.gz", folder / "ct.nii.gz")
    shutil.rmtree(scratch)
    image, props = SimpleITKIO().read_images([str(folder / "ct.nii.gz")])
    index: dict = {}
    info = {"phantom_arguments": arguments, "sitk_props": props["sitk_stuff"] | {"spacing": props["spacing"]}}
    previous = previous_stage(model_folder, image, props)
    if previous is not None:
        save(folder, "previous_stage.u8", previous[0], np.uint8, index)
    for mirroring in (False, True) if case == "small" else (False,):
        predictor, folds = make_predictor(model_folder, mirroring)
        staged = stagewise(predictor, image, props, previous)
        check_against_one_call(predictor, image, props, staged, previous)
        suffix = "_mirrored" if mirroring else ""
        if not mirroring:
            save(folder, "preprocessed.f32", staged["data"], np.float32, index)
            if case == "iso" and staged["tile_logits"].ndim == 4:  # 3-D (2-D nets: Fixtures/models parity tile)
                tile = staged["tile_logits"]
                block = [slice(n // 4, n // 4 + max(1, n // 2)) for n in tile.shape[1:]]
                save(folder, "tile0_logits_centre.f32", tile[(slice(None), *block)], np.float32, index)
                info["tile0_logits_centre_start"] = [b.start for b in block]
            props_out = staged["data_props"]
            info.update({
                "folds": folds,
                "bbox_used_for_cropping": [list(map(int, b)) for b in props_out["bbox_used_for_cropping"]],
                "shape_before_cropping": list(map(int, props_out["shape_before_cropping"])),
                "shape_after_cropping_and_before_resampling":
                    list(map(int, props_out["shape_after_cropping_and_before_resampling"])),
                "preprocessed_shape": list(staged["data"].shape),
                "padded_shape": staged["padded_shape"],
                "tiles": slicer_json(staged["slicers"]),
                "tile_step_size": 0.5,
                "mirror_axes": list(predictor.allowed_mirroring_axes or []),
            })
        save(folder, f"logits{suffix}.f16", staged["logits"], np.float16, index)
        save(folder, f"probabilities{suffix}.f16", staged["probabilities"], np.float16, index)
        save(folder, f"segmentation{suffix}.u8", staged["segmentation"], np.uint8, index)
    info["arrays"] = index
    (folder / "case.json").write_text(json.dumps(info, default=float) + "\n")
    return info


def previous_stage(model_folder: Path, image, props):
    """A cascade stage's input from its previous stage: that folder's nnUNetPredictor segmentation of the
    image (mirroring off; the same input for the cascade's runs with and without mirroring), as (1, z, y, x)
    float32 (how SimpleITKIO.read_seg hands -prev_stage_predictions over); None for a model that is no cascade
    stage."""
    import numpy as np
    name = PREVIOUS_STAGE_MODEL.get(model_folder.name)
    if name is None:
        return None
    predictor, _ = make_predictor(model_folder_of(name), False)
    segmentation = predictor.predict_single_npy_array(image, dict(props), None, None, False)
    return segmentation[None].astype(np.float32)


def write_gaussian(model_folder: Path, out: Path) -> None:
    import numpy as np
    import torch
    from nnunetv2.inference.sliding_window_prediction import compute_gaussian
    predictor, _ = make_predictor(model_folder, False)
    patch = predictor.configuration_manager.patch_size
    gaussian = compute_gaussian(tuple(patch), sigma_scale=1. / 8, value_scaling_factor=10, device=torch.device("cpu"))
    index: dict = {}
    save(out, "gaussian.f16", gaussian.numpy(), np.float16, index)
    (out / "model.json").write_text(json.dumps({"patch_size": list(patch), "arrays": index}) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", help="comma-separated model names (default: every folder in models/)")
    parser.add_argument("--organa", default=str(REPO / ".build" / "release" / "organa"))
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "tools" / "models"))
    import organa_trainers  # the bundled models' trainers must be installed for nnUNetPredictor to load them
    organa_trainers.install()
    import nnunetv2
    import numpy
    import SimpleITK
    import torch
    torch.set_num_threads(2)
    organa = Path(args.organa)
    if not organa.exists():
        sys.exit(f"{organa} is missing: run `swift build -c release --product organa` first")
    names = args.models.split(",") if args.models else sorted(
        p.name for p in (REPO / "models").iterdir() if (p / "plans.json").exists())
    for name in names:
        model_folder = model_folder_of(name)
        out = OUT / name
        out.mkdir(parents=True, exist_ok=True)
        write_gaussian(model_folder, out)
        for case in SEEDS:
            info = write_case(model_folder, case, organa, out)
            print(f"{name}/{case}: preprocessed {info['preprocessed_shape']}, {len(info['tiles'])} tiles", flush=True)
    (OUT / "README.md").write_text(f"""# nnU-Net reference fixtures (stage-wise)

Made by `tools/reference/make_predictor_fixtures.py` (see its header for the files and cases) with
nnunetv2 {nnunetv2.__version__ if hasattr(nnunetv2, '__version__') else '2.8.1'}, torch {torch.__version__},
SimpleITK {SimpleITK.Version_VersionString()}, numpy {numpy.__version__}, on the CPU, from the bundled models in
`models/`, the test-only models in `../trained/` (tools/reference/make_fixture_models.py) and phantom crops
written by `organa phantom`. Regenerate after retraining a model:

    swift build -c release --product organa
    python tools/reference/make_predictor_fixtures.py --models {','.join(sorted(p.name for p in OUT.iterdir() if p.is_dir()))}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
