// The label map → world mesh pipeline, one structure at a time, structures in parallel.
//
// Steps per label: bounding box (one pass over the map for all labels) → discrete marching cubes on the
// padded box (index space) → windowed-sinc smoothing in index space, as Slicer does (isotropic in voxels)
// → index → world (winding flipped for mirroring transforms)
// → volume correction (offset along normals to the voxel volume; thin tubes otherwise shrink) → quadric
// decimation in world mm (after smoothing: a web export wants the smooth shape kept, research/meshing.md
// §7) → vertex normals.
// Each finished mesh is handed to the caller at once (streaming), from the worker that made it, one
// call at a time; the order is completion order.

public import ArrayCore
import Dispatch
import Foundation
import Synchronization
public import VolumeCore

/// Options of the whole label map → mesh pipeline.
public struct MeshingOptions: Sendable, Equatable {
    /// Slicer-style smoothing factor in [0, 1]; 0 turns smoothing off.
    public var smoothingFactor: Double
    /// Windowed sinc (default) or Taubin/Laplacian for comparison.
    public var smoothingMethod: SmoothingOptions.Method
    /// Gentler smoothing (20 iterations) for tubular structures (see `StructureStyle`).
    public var perStructureDefaults: Bool
    /// Fraction of triangles to remove after smoothing (0 = none).
    public var decimation: Double
    /// World frame of the output positions.
    public var frame: WorldFrame
    /// Whether to compute vertex normals.
    public var normals: Bool
    /// After smoothing, offset the surface along its normals so that its volume equals the voxel volume
    /// (see `TriangleMesh.offsetToVolume`); keeps thin tubes from shrinking.
    public var preserveVolume: Bool

    public init(
        smoothingFactor: Double = 0.5, smoothingMethod: SmoothingOptions.Method = .windowedSinc,
        perStructureDefaults: Bool = true, decimation: Double = 0, frame: WorldFrame = .lps, normals: Bool = true,
        preserveVolume: Bool = true
    ) {
        self.preserveVolume = preserveVolume
        self.smoothingFactor = smoothingFactor
        self.smoothingMethod = smoothingMethod
        self.perStructureDefaults = perStructureDefaults
        self.decimation = decimation
        self.frame = frame
        self.normals = normals
    }

    /// The smoothing applied to a structure called `name`.
    public func smoothing(for name: String) throws(MeshingError) -> SmoothingOptions {
        try StructureStyle.smoothing(
            for: perStructureDefaults ? name : "", factor: smoothingFactor, method: smoothingMethod)
    }

    public func validate() throws(MeshingError) {
        _ = try smoothing(for: "")
        try DecimationOptions(targetReduction: decimation).validate()
    }
}

/// One structure's finished mesh.
public struct StructureMesh: Sendable {
    public var label: Int
    public var name: String
    /// World positions (mm, `frame`), outward winding, normals when requested.
    public var mesh: TriangleMesh
    public var frame: WorldFrame
    /// Voxels of the label in the map.
    public var voxelCount: Int
    /// The label's bounding box in the map.
    public var box: IndexBox
}

/// Meshes every structure of a label map.
public enum LabelMapMesher {
    /// Meshes `labels` (default: every label present) of `labelMap`, calling `deliver` with each mesh as
    /// soon as it is done. `names` maps labels to structure names (default `label_N`).
    /// - Throws: `MeshingError` for invalid options or labels; the first error `deliver` throws.
    public static func meshes<V: Scalar & FixedWidthInteger>(
        of labelMap: Volume<V>, names: [Int: String] = [:], labels: [Int]? = nil, options: MeshingOptions = .init(),
        deliver: (StructureMesh) throws -> Void
    ) throws {
        try options.validate()
        let statistics = try LabelStatistics(labelMap: labelMap)
        var entries = statistics.entries
        if let wanted = labels {
            let present = Set(entries.map(\.label))
            if let missing = wanted.first(where: { !present.contains($0) }) {
                throw MeshingError(.invalidLabel, "label \(missing) does not occur in the label map")
            }
            entries = entries.filter { wanted.contains($0.label) }
        }
        // Largest first, so the long jobs start early.
        entries.sort { $0.voxelCount > $1.voxelCount }
        let next = Atomic<Int>(0)
        let gate = DeliveryGate()
        let workers = min(ParallelSettings.workerCount, entries.count)
        let map = UncheckedSendable(labelMap)
        let list = entries
        try withoutActuallyEscaping(deliver) { deliverEscapable in
            let handler = UncheckedSendable(deliverEscapable)
            DispatchQueue.concurrentPerform(iterations: max(1, workers)) { _ in
                while !gate.hasFailed {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < list.count else { return }
                    let entry = list[index]
                    let name = names[entry.label] ?? "label_\(entry.label)"
                    do {
                        let mesh = try structureMesh(of: entry, name: name, in: map.value, options: options)
                        gate.deliver { try handler.value(mesh) }
                    } catch {
                        gate.fail(error)
                    }
                }
            }
            if let failure = gate.failure { throw failure }
        }
    }

    /// All meshes at once, in label order.
    public static func meshes<V: Scalar & FixedWidthInteger>(
        of labelMap: Volume<V>, names: [Int: String] = [:], labels: [Int]? = nil, options: MeshingOptions = .init()
    ) throws -> [StructureMesh] {
        var all: [StructureMesh] = []
        try meshes(of: labelMap, names: names, labels: labels, options: options) { all.append($0) }
        return all.sorted { $0.label < $1.label }
    }

    /// One structure through every step.
    public static func structureMesh<V: Scalar & FixedWidthInteger>(
        of entry: LabelStatistics.Entry, name: String, in labelMap: Volume<V>, options: MeshingOptions
    ) throws(MeshingError) -> StructureMesh {
        var mesh = SurfaceExtraction.surface(of: V(entry.label), in: labelMap, box: entry.box)
        let smoothing = try options.smoothing(for: name)
        mesh = try mesh.smoothed(smoothing)
        mesh = mesh.transformedToWorld(labelMap.geometry, frame: options.frame)
        if options.preserveVolume && smoothing.method != .none {
            let voxelVolume = abs(labelMap.geometry.indexToWorldMatrix.determinant) * Double(entry.voxelCount)
            let voxelSize = labelMap.geometry.spacing.min()
            mesh = mesh.offsetToVolume(voxelVolume, maximumOffset: voxelSize)
        }
        if options.decimation > 0 {
            mesh = try mesh.decimated(DecimationOptions(targetReduction: options.decimation))
        }
        if options.normals { mesh.normals = mesh.vertexNormals() }
        return StructureMesh(
            label: entry.label, name: name, mesh: mesh, frame: options.frame, voxelCount: entry.voxelCount,
            box: entry.box)
    }
}

/// Serialises deliveries from the workers and keeps the first failure.
private final class DeliveryGate: @unchecked Sendable {
    private let lock = NSLock()
    private var firstFailure: (any Error)?

    var failure: (any Error)? { lock.withLock { firstFailure } }
    var hasFailed: Bool { failure != nil }

    func fail(_ error: any Error) {
        lock.withLock { if firstFailure == nil { firstFailure = error } }
    }

    /// Runs `body` under the lock unless a failure is already recorded.
    func deliver(_ body: () throws -> Void) {
        lock.withLock {
            guard firstFailure == nil else { return }
            do { try body() } catch { firstFailure = error }
        }
    }
}
