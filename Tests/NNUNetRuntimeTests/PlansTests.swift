import Foundation
import OrganaTestSupport
import Testing

@testable import NNUNetRuntime

@Suite("plans.json and dataset.json decoding")
struct PlansTests {
    static let plansJSON = """
        {
          "dataset_name": "Dataset999_Toy", "plans_name": "nnUNetPlans", "image_reader_writer": "SimpleITKIO",
          "transpose_forward": [0, 1, 2], "transpose_backward": [0, 1, 2],
          "foreground_intensity_properties_per_channel": {"0": {"mean": 63.98, "std": 61.86, "median": 60.0,
            "min": -100.0, "max": 400.0, "percentile_00_5": -10.0, "percentile_99_5": 254.0}},
          "configurations": {
            "3d_fullres": {
              "data_identifier": "nnUNetPlans_3d_fullres", "preprocessor_name": "DefaultPreprocessor",
              "batch_size": 2, "patch_size": [28, 48, 48], "median_image_size_in_voxels": [30.0, 60.0, 60.0],
              "spacing": [2.25, 0.9, 0.9], "normalization_schemes": ["CTNormalization"],
              "use_mask_for_norm": [false],
              "resampling_fn_data": "resample_data_or_seg_to_shape",
              "resampling_fn_data_kwargs": {"is_seg": false, "order": 3, "order_z": 0, "force_separate_z": null},
              "resampling_fn_seg": "resample_data_or_seg_to_shape",
              "resampling_fn_seg_kwargs": {"is_seg": true, "order": 1, "order_z": 0, "force_separate_z": null},
              "resampling_fn_probabilities": "resample_data_or_seg_to_shape",
              "resampling_fn_probabilities_kwargs": {"is_seg": false, "order": 1, "order_z": 0,
                "force_separate_z": true},
              "architecture": {
                "network_class_name": "dynamic_network_architectures.architectures.unet.PlainConvUNet",
                "arch_kwargs": {"n_stages": 4, "features_per_stage": [32, 64, 128, 256],
                  "conv_op": "torch.nn.modules.conv.Conv3d",
                  "kernel_sizes": [[1, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]],
                  "strides": [[1, 1, 1], [1, 2, 2], [2, 2, 2], [2, 2, 2]],
                  "n_conv_per_stage": [2, 2, 2, 2], "n_conv_per_stage_decoder": [2, 2, 2], "conv_bias": true,
                  "norm_op": "torch.nn.modules.instancenorm.InstanceNorm3d",
                  "norm_op_kwargs": {"eps": 1e-05, "affine": true}, "dropout_op": null, "dropout_op_kwargs": null,
                  "nonlin": "torch.nn.LeakyReLU", "nonlin_kwargs": {"inplace": true}},
                "_kw_requires_import": ["conv_op", "norm_op", "dropout_op", "nonlin"]},
              "batch_dice": false, "next_stage": "3d_cascade_fullres"
            },
            "3d_cascade_fullres": {"inherits_from": "3d_fullres", "previous_stage": "3d_lowres"},
            "3d_lowres": {"inherits_from": "3d_fullres", "spacing": [4.5, 1.8, 1.8], "patch_size": [24, 40, 40]}
          }
        }
        """

    @Test func decodesConfigurationsAndResolvesInheritance() throws {
        let plans = try Plans(json: Data(Self.plansJSON.utf8))
        #expect(plans.configurationNames == ["3d_cascade_fullres", "3d_fullres", "3d_lowres"])
        let full = try plans.configuration("3d_fullres")
        #expect(full.patchSize == [28, 48, 48])
        #expect(full.spacing == [2.25, 0.9, 0.9])
        #expect(full.architecture.networkName == "PlainConvUNet")
        #expect(full.architecture.kernelSizes[0] == [1, 3, 3])
        #expect(full.architecture.negativeSlope == 0.01)
        #expect(full.architecture.normEpsilon == 1e-5)
        #expect(full.resamplingData.order == 3)
        #expect(full.resamplingProbabilities.forceSeparateZ == true)
        #expect(full.resamplingData.forceSeparateZ == nil)
        let cascade = try plans.configuration("3d_cascade_fullres")
        #expect(cascade.previousStage == "3d_lowres")
        #expect(cascade.patchSize == full.patchSize)
        #expect(cascade.architecture == full.architecture)
        let low = try plans.configuration("3d_lowres")
        #expect(low.patchSize == [24, 40, 40])
        #expect(low.nextStage == "3d_cascade_fullres")
        #expect(plans.foregroundIntensityProperties[0]?.percentile99_5 == 254)
    }

    @Test func unknownConfigurationListsTheKnownOnes() throws {
        let plans = try Plans(json: Data(Self.plansJSON.utf8))
        let error = #expect(throws: NNUNetError.self) { try plans.configuration("2d") }
        #expect(error?.code == .unknownConfiguration)
        #expect(error?.message.contains("3d_fullres") == true)
    }

    @Test(arguments: [
        ("\"3d_lowres\": {\"inherits_from\": \"3d_lowres\"", "cycle"),
        ("\"3d_lowres\": {\"inherits_from\": \"nothing\"", "nothing"),
        ("\"patch_size\": [28, 48, 48]", "patch_size"),
        ("\"n_stages\": 4", "n_stages"),
    ])
    func badPlansNameTheProblem(replacement: String, mentioned: String) throws {
        var text = Self.plansJSON
        switch mentioned {
        case "cycle", "nothing":
            text = text.replacingOccurrences(
                of: "\"3d_lowres\": {\"inherits_from\": \"3d_fullres\"", with: replacement)
        case "patch_size": text = text.replacingOccurrences(of: replacement, with: "\"patch_size\": \"big\"")
        default: text = text.replacingOccurrences(of: replacement, with: "\"n_stages\": 5")
        }
        let error = #expect(throws: NNUNetError.self) { try Plans(json: Data(text.utf8)) }
        #expect(error?.message.contains(mentioned) == true, "\(String(describing: error))")
    }

    @Test func notJSONIsAnError() {
        let error = #expect(throws: NNUNetError.self) { try Plans(json: Data("{\"configurations\": ".utf8)) }
        #expect(error?.code == .invalidJSON)
    }

    @Test func datasetLabelsAndChannels() throws {
        let json = """
            {"channel_names": {"1": "T2", "0": "CT"}, "labels": {"background": 0, "vein": 2, "artery": 1,
             "ignore": 3}, "numTraining": 10, "file_ending": ".nii.gz"}
            """
        let dataset = try DatasetDescription(json: Data(json.utf8))
        #expect(dataset.channelNames == ["CT", "T2"])
        #expect(dataset.labels.map(\.name) == ["background", "artery", "vein"])
        #expect(dataset.ignoreLabel == 3)
        #expect(dataset.segmentationHeadCount == 3)
        #expect(!dataset.isRegionBased)
    }

    @Test func regionDatasetNeedsClassOrder() throws {
        let json = """
            {"channel_names": {"0": "CT"}, "labels": {"background": 0, "kidney": [1, 2], "tumor": 2},
             "file_ending": ".nii.gz"}
            """
        let error = #expect(throws: NNUNetError.self) { try DatasetDescription(json: Data(json.utf8)) }
        #expect(error?.message.contains("regions_class_order") == true)
        let withOrder = json.replacingOccurrences(
            of: "\"file_ending\"", with: "\"regions_class_order\": [1, 2], \"file_ending\"")
        let dataset = try DatasetDescription(json: Data(withOrder.utf8))
        #expect(dataset.isRegionBased)
        #expect(dataset.segmentationHeadCount == 2)
    }

    @Test func bundledVesselsPlans() throws {
        let folder = BundledModels.folder("vessels")
        let plans = try Plans.load(folder + "/plans.json")
        let dataset = try DatasetDescription.load(folder + "/dataset.json")
        let full = try plans.configuration("3d_fullres")
        #expect(full.architecture.featuresPerStage.first == 8)
        #expect(dataset.segmentationHeadCount == 3)
    }
}

/// The bundled nnU-Net results folders under `models/` (present once the training job has written them).
enum BundledModels {
    static func folder(_ name: String) -> String {
        RepositoryPaths.root.appendingPathComponent("models/\(name)").path
    }

    static func available(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: folder(name) + "/plans.json")
    }
}
