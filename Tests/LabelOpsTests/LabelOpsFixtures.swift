import Foundation
import Testing
import VolumeCore

/// The oracle fixtures written by `tools/fixtures/make_labelops_fixtures.py` (see Fixtures/README.md).
struct LabelOpsManifest: Decodable {
    struct ArrayFile: Decodable {
        var file: String
        var dtype: String
        var shape_zyx: [Int]
        var size: SIMD3<Int> { SIMD3(shape_zyx[2], shape_zyx[1], shape_zyx[0]) }
    }

    struct Case: Decodable, CustomTestStringConvertible {
        var name: String
        var kind: String
        var input: ArrayFile
        var expected: ArrayFile
        var connectivity: Int?
        var count: Int?
        var axis: Int?
        var spacing_xyz: [Double]?
        var radius_mm: Double?
        var threshold_mm3: Double?

        var testDescription: String { name }
        var spacing: SIMD3<Double> { spacing_xyz.map { SIMD3($0[0], $0[1], $0[2]) } ?? SIMD3(1, 1, 1) }

        /// The input as a label map on a grid with this case's spacing.
        func inputVolume() throws -> Volume<UInt8> {
            let values: [UInt8] = try LabelOpsManifest.read(input, as: UInt8.self)
            var volume = Volume(
                size: input.size, geometry: try VolumeGeometry(spacing: spacing, origin: .zero), repeating: UInt8(0))
            volume.voxels.elements = values
            return volume
        }
    }

    var cases: [Case]

    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/labelops")

    static let shared: LabelOpsManifest? = {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("manifest.json")) else { return nil }
        return try? JSONDecoder().decode(LabelOpsManifest.self, from: data)
    }()

    static func cases(kind: String) -> [Case] { (shared?.cases ?? []).filter { $0.kind == kind } }

    static func read<T: BitwiseCopyable>(_ file: ArrayFile, as type: T.Type) throws -> [T] {
        let data = try Data(contentsOf: directory.appendingPathComponent(file.file))
        let count = file.shape_zyx.reduce(1, *)
        guard data.count == count * MemoryLayout<T>.stride else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: file.file])
        }
        return data.withUnsafeBytes { raw in
            (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.stride, as: T.self) }
        }
    }
}
