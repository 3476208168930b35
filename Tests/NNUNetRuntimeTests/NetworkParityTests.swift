import ArrayCore
import Foundation
import OrganaTestSupport
import Testing

@testable import NNUNetRuntime

/// Logits of nnU-Net networks against PyTorch (nnunetv2's `get_network_from_plans`, float32 CPU), both on the
/// tiny fixture networks and on the bundled models. Tolerance: max abs ≤ 1e-3 (docs/design/0002-network-runtime.md).
@Suite("network logits parity with nnunetv2")
struct NetworkParityTests {
    static func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test(arguments: CheckpointFixtures.networks)
    func fixtureNetworkLogits(network: String) throws {
        let meta = try CheckpointFixtures.meta(network)
        let folder = try ModelFolder(path: CheckpointFixtures.folder(network))
        #expect(folder.folds == ["0"])
        let (unet, _) = try folder.network(fold: "0")
        #expect(unet.architecture.parameterShapes.count == meta.canonical_keys)
        #expect(unet.architecture.parameterCount == meta.parameters)
        let input = try NDArray(
            shape: meta.input_shape,
            elements: CheckpointFixtures.floats(CheckpointFixtures.folder(network) + "/input.f32"))
        let expected = try CheckpointFixtures.floats(CheckpointFixtures.folder(network) + "/logits.f32")
        let logits = try unet(input)
        #expect(logits.shape == meta.logits_shape)
        let difference = Self.maxAbsoluteDifference(logits.elements, expected)
        print("parity \(network): max abs logit difference \(difference)")
        #expect(difference <= 1e-3, "max abs difference \(difference)")
    }

    @Test func wrongChannelCountIsAnError() throws {
        let (unet, _) = try ModelFolder(path: CheckpointFixtures.folder("plain3d")).network(fold: "0")
        let error = #expect(throws: NNUNetError.self) { try unet(NDArray(shape: [2, 8, 12, 16], repeating: 0)) }
        #expect(error?.message.contains("2 channels") == true)
        let stride = #expect(throws: NNUNetError.self) { try unet(NDArray(shape: [1, 8, 12, 15], repeating: 0)) }
        #expect(stride?.message.contains("total stride") == true)
    }

    @Test func missingFoldNamesTheFolds() throws {
        let folder = try ModelFolder(path: CheckpointFixtures.folder("plain3d"))
        let error = #expect(throws: NNUNetError.self) { try folder.network(fold: "3") }
        #expect(error?.message.contains("fold 3") == true)
        #expect(error?.message.contains("folds with checkpoints: 0") == true)
    }

    @Test func mismatchedPlansAreRejectedStrictly() throws {
        // The plain3d checkpoint against the plain2d plans: every key differs in shape or is missing.
        let folder = try ModelFolder(path: CheckpointFixtures.folder("plain3d"))
        let checkpoint = try Checkpoint.load(CheckpointFixtures.checkpointPath("resenc3d"))
        let error = #expect(throws: NNUNetError.self) {
            try UNet(architecture: try folder.architecture("3d_fullres"), checkpoint: checkpoint)
        }
        #expect(error?.code == .weightMismatch)
        #expect(error?.message.contains("missing encoder.stages.0.0.convs.0.conv.weight") == true)
        #expect(error?.message.contains("more)") == true)
    }

    @Test func unsupportedArchitectureIsAnError() throws {
        let plans = try Plans.load(CheckpointFixtures.folder("plain3d") + "/plans.json")
        var plan = try plans.configuration("3d_fullres").architecture
        plan.networkClassName = "dynamic_network_architectures.architectures.primus.Primus"
        #expect(throws: NNUNetError.self) { try UNetArchitecture(plan, inputChannels: 1, classCount: 3) }
        plan = try plans.configuration("3d_fullres").architecture
        plan.normOp = "torch.nn.modules.batchnorm.BatchNorm3d"
        let error = #expect(throws: NNUNetError.self) { try UNetArchitecture(plan, inputChannels: 1, classCount: 3) }
        #expect(error?.message.contains("BatchNorm3d") == true)
    }

    static let bundledFixtures: [String] = {
        let root = CheckpointFixtures.root.appendingPathComponent("models")
        return ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
    }()

    /// Every results folder under models/ has its logits fixture, so no bundled network goes unchecked.
    @Test func everyBundledModelHasAParityFixture() throws {
        let root = RepositoryPaths.root.appendingPathComponent("models").path
        let bundled = try FileManager.default.contentsOfDirectory(atPath: root).filter(BundledModels.available)
        #expect(!bundled.isEmpty)
        #expect(bundled.sorted() == Self.bundledFixtures, "models/ and Fixtures/models/ list different models")
    }

    /// Fixture tiles for the bundled models come from tools/fixtures/make_model_parity_fixtures.py.
    @Test(arguments: bundledFixtures)
    func bundledModelLogits(model: String) throws {
        let fixture = CheckpointFixtures.root.appendingPathComponent("models/\(model)").path
        struct Meta: Decodable {
            var configuration: String
            var fold: String
            var input_shape: [Int]
            var logits_shape: [Int]
            var patch_size: [Int]
            var flops_per_patch: Double
            var parameters: Int
        }
        let meta = try JSONDecoder().decode(
            Meta.self, from: Data(contentsOf: URL(fileURLWithPath: fixture + "/meta.json")))
        // A parity fixture exists only for a committed model: its absence is a failure, not a skip.
        try #require(BundledModels.available(model), "parity fixture for \(model) but no models/\(model)")
        let folder = try ModelFolder(path: BundledModels.folder(model))
        let (unet, _) = try folder.network(fold: meta.fold, configuration: meta.configuration)
        #expect(unet.floatingPointOperations(tile: meta.patch_size) == meta.flops_per_patch)
        #expect(unet.architecture.parameterCount == meta.parameters)
        let input = try NDArray(shape: meta.input_shape, elements: CheckpointFixtures.floats(fixture + "/input.f32"))
        let logits = try unet(input)
        #expect(logits.shape == meta.logits_shape)
        let difference = Self.maxAbsoluteDifference(
            logits.elements, try CheckpointFixtures.floats(fixture + "/logits.f32"))
        print("parity \(model): max abs logit difference \(difference)")
        #expect(difference <= 1e-3, "\(model): max abs difference \(difference)")
    }
}
