import Foundation
import OrganaTestSupport

@testable import NNUNetRuntime

/// Paths and metadata of the fixtures written by tools/fixtures/make_nnunet_fixtures.py.
enum CheckpointFixtures {
    static let networks = ["plain3d", "plain2d", "resenc3d", "resenc2d"]

    static var root: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    static func folder(_ network: String) -> String {
        root.appendingPathComponent("networks/\(network)").path
    }

    static func checkpointPath(_ network: String) -> String {
        folder(network) + "/fold_0/checkpoint_final.pth"
    }

    struct Meta: Decodable {
        var configuration: String
        var input_shape: [Int]
        var logits_shape: [Int]
        var state_dict_keys: Int
        var canonical_keys: Int
        var parameters: Int
        var weight_sums: [String: Double]
    }

    static func meta(_ network: String) throws -> Meta {
        try JSONDecoder().decode(
            Meta.self, from: Data(contentsOf: URL(fileURLWithPath: folder(network) + "/meta.json")))
    }

    static func floats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
    }

    /// The raw data.pkl of a fixture checkpoint (the seed corpus of the mutation test).
    static func pickleBytes(_ network: String) throws -> [UInt8] {
        let archive = try ZipArchive(Data(contentsOf: URL(fileURLWithPath: checkpointPath(network))))
        let member = archive.members.first { $0.name.hasSuffix("/data.pkl") }!
        return [UInt8](try archive.data(of: member))
    }
}
