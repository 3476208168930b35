import Foundation
import Testing

@testable import VolumeCore

/// The resampling fixtures written by `tools/fixtures/make_resampling_fixtures.py` (see Fixtures/README.md).
struct ResamplingManifest: Decodable {
    struct ArrayFile: Decodable {
        var file: String
        var dtype: String
        var shape_zyx: [Int]
    }

    struct Case: Decodable, CustomTestStringConvertible {
        var name: String
        var kind: String
        var order: Int
        var input: ArrayFile
        var spacing_xyz: [Double]
        var target_size_xyz: [Int]
        var target_spacing_xyz: [Double]?
        var separate_axis_xyz: Int?
        var expected: ArrayFile
        var expected_float64: ArrayFile?

        var testDescription: String { name }
        var spacing: SIMD3<Double> { SIMD3(spacing_xyz[0], spacing_xyz[1], spacing_xyz[2]) }
        var targetSize: SIMD3<Int> { SIMD3(target_size_xyz[0], target_size_xyz[1], target_size_xyz[2]) }
        var targetSpacing: SIMD3<Double>? { target_spacing_xyz.map { SIMD3($0[0], $0[1], $0[2]) } }
        var interpolation: Interpolation { order == 0 ? .nearest : (order == 1 ? .linear : .cubicBSpline) }
    }

    struct NewShape: Decodable, CustomTestStringConvertible {
        var size_xyz: [Int]
        var spacing_xyz: [Double]
        var target_spacing_xyz: [Double]
        var expected_size_xyz: [Int]
        var testDescription: String { "\(size_xyz) \(spacing_xyz) → \(target_spacing_xyz)" }
    }

    var cases: [Case]
    var compute_new_shape: [NewShape]

    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/resampling")

    static func load() throws -> ResamplingManifest {
        let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode(ResamplingManifest.self, from: data)
    }

    /// Loaded once at test discovery; an unreadable manifest gives no cases and fails `manifestIsComplete`.
    static let shared: ResamplingManifest? = try? load()
    static var allCases: [Case] { shared?.cases ?? [] }
    static func cases(kind: String) -> [Case] { allCases.filter { $0.kind == kind } }

    /// Reads a raw little-endian array file as `T`.
    static func read<T: BitwiseCopyable>(_ file: ArrayFile, as type: T.Type) throws -> [T] {
        let data = try Data(contentsOf: directory.appendingPathComponent(file.file))
        let count = file.shape_zyx.reduce(1, *)
        precondition(data.count == count * MemoryLayout<T>.stride, "\(file.file) has the wrong size")
        return data.withUnsafeBytes { raw in
            (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.stride, as: T.self) }
        }
    }
}
