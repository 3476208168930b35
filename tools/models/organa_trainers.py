"""Organa's custom nnU-Net v2 trainers, and the installer that puts them where nnunetv2 looks for trainers.

nnUNetPredictor (and nnUNetv2_train) find a trainer by its class name under
nnunetv2/training/nnUNetTrainer/, so a results folder trained with a custom trainer loads only where that class is
installed. `install()` copies this file into the active venv's nnunetv2 as
nnunetv2/training/nnUNetTrainer/variants/organa/organa_trainers.py (idempotent; tools/models/train_models.py and
the fixture generators call it before they touch nnunetv2).

nnUNetTrainerMirrorOnly: nnUNetTrainerNoDA's idea (no spatial or intensity augmentation, which costs much of a CPU's
time and is not needed on in-distribution phantoms) but with nnU-Net's random mirroring kept in training, so that
inference_allowed_mirroring_axes stays set and test-time mirroring remains meaningful for the model.

The bundled models' trainers build on it and on nnUNetTrainerNoDA with AdamW at 1e-3: nnUNetTrainerOrganaMirror,
nnUNetTrainerOrganaNoDA, and the foreground-sampling variants nnUNetTrainerOrganaNoDAFg (every patch),
nnUNetTrainerOrganaNoDAFgHalf (half) and nnUNetTrainerOrganaNoDAFgHalfTumorCE (half, tumour cross-entropy 4x).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List, Tuple, Union

try:
    import numpy as np
    from batchgeneratorsv2.helpers.scalar_type import RandomScalar
    from batchgeneratorsv2.transforms.base.basic_transform import BasicTransform
    from batchgeneratorsv2.transforms.spatial.mirroring import MirrorTransform
    from batchgeneratorsv2.transforms.utils.compose import ComposeTransforms
    from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer
except ImportError:  # install() only needs the standard library
    nnUNetTrainer = None


def install() -> Path:
    """Copy this module into nnunetv2's trainer folder (a package `variants/organa`); returns the target."""
    import nnunetv2
    folder = Path(nnunetv2.__path__[0]) / "training" / "nnUNetTrainer" / "variants" / "organa"
    folder.mkdir(exist_ok=True)
    (folder / "__init__.py").touch()
    target = folder / "organa_trainers.py"
    source = Path(__file__).resolve()
    if not target.exists() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    return target


if nnUNetTrainer is not None:
    class nnUNetTrainerMirrorOnly(nnUNetTrainer):
        @staticmethod
        def get_training_transforms(
                patch_size: Union[np.ndarray, Tuple[int]],
                rotation_for_DA: RandomScalar,
                deep_supervision_scales: Union[List, Tuple, None],
                mirror_axes: Tuple[int, ...],
                do_dummy_2d_data_aug: bool,
                use_mask_for_norm: List[bool] = None,
                is_cascaded: bool = False,
                foreground_labels: Union[Tuple[int, ...], List[int]] = None,
                regions: List[Union[List[int], Tuple[int, ...], int]] = None,
                ignore_label: int = None,
        ) -> BasicTransform:
            rest = nnUNetTrainer.get_validation_transforms(deep_supervision_scales, is_cascaded, foreground_labels,
                                                           regions, ignore_label)
            if mirror_axes is None or len(mirror_axes) == 0:
                return rest
            return ComposeTransforms([MirrorTransform(allowed_axes=mirror_axes), rest])

        def configure_rotation_dummyDA_mirroring_and_inital_patch_size(self):
            # No spatial transform crops a larger sample down, so the loader samples the patch itself.
            rotation_for_DA, do_dummy_2d_data_aug, _, mirror_axes = \
                super().configure_rotation_dummyDA_mirroring_and_inital_patch_size()
            return rotation_for_DA, do_dummy_2d_data_aug, self.configuration_manager.patch_size, mirror_axes


if nnUNetTrainer is not None:
    import torch
    from nnunetv2.training.lr_scheduler.polylr import PolyLRScheduler
    from nnunetv2.training.nnUNetTrainer.variants.data_augmentation.nnUNetTrainerNoDA import nnUNetTrainerNoDA

    class _AdamW:
        """Mixin: AdamW (amsgrad) at 1e-3 with nnU-Net's poly decay instead of SGD at 1e-2, which made these
        small networks predict background only within ~40 iterations."""

        def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                     device: torch.device = torch.device("cuda")):
            super().__init__(plans, configuration, fold, dataset_json, device)
            self.initial_lr = 1e-3

        def configure_optimizers(self):
            optimizer = torch.optim.AdamW(self.network.parameters(), lr=self.initial_lr,
                                          weight_decay=self.weight_decay, amsgrad=True)
            return optimizer, PolyLRScheduler(optimizer, self.initial_lr, self.num_epochs)

    class nnUNetTrainerOrganaNoDA(_AdamW, nnUNetTrainerNoDA):
        pass

    class nnUNetTrainerOrganaMirror(_AdamW, nnUNetTrainerMirrorOnly):
        pass

    class nnUNetTrainerOrganaNoDAFg(nnUNetTrainerOrganaNoDA):
        """nnUNetTrainerOrganaNoDA with every training patch centred on a foreground voxel (nnU-Net's default
        forces one sample in three): the ureter is a 2-4 mm tube, and with the default sampling the small
        network learned only background in 250 iterations."""

        def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                     device: torch.device = torch.device("cuda")):
            super().__init__(plans, configuration, fold, dataset_json, device)
            self.oversample_foreground_percent = 1.0

    class nnUNetTrainerOrganaNoDAFgHalf(nnUNetTrainerOrganaNoDA):
        """nnUNetTrainerOrganaNoDA with half the training patches centred on foreground (nnU-Net's default is a
        third), to continue a model first trained with nnUNetTrainerOrganaNoDAFg: that one never saw a patch
        without ureter, and on unseen phantoms 70-76 % of what it marked lay away from the ureters."""

        def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                     device: torch.device = torch.device("cuda")):
            super().__init__(plans, configuration, fold, dataset_json, device)
            self.oversample_foreground_percent = 0.5

    class nnUNetTrainerOrganaNoDAFgHalfTumorCE(nnUNetTrainerOrganaNoDAFgHalf):
        """nnUNetTrainerOrganaNoDAFgHalf with the tumour's cross-entropy weighted 4x: at the preview's 4-5 mm a
        2-3 mL tumour is 15-50 voxels, and with the unweighted loss the network called some of them background."""

        TUMOR_CE_WEIGHT = 4.0

        def _build_loss(self):
            loss = super()._build_loss()
            inner = getattr(loss, "loss", loss)  # DC_and_CE_loss, inside the DeepSupervisionWrapper
            weights = torch.ones(len(self.dataset_json["labels"]))
            weights[self.dataset_json["labels"]["tumor"]] = self.TUMOR_CE_WEIGHT
            inner.ce.weight = weights.to(self.device)
            return loss
