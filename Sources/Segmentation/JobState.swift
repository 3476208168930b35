import Foundation
import LabelOps
import VolumeCore

/// What a running job holds: the CT, the growing merged label map and masks, timings.
struct JobState {
    let ct: Volume<Int16>
    let events: @Sendable (SegmentationEvent) -> Void
    let isCancelled: @Sendable () -> Bool
    /// rank[labelValue]: position in the merge priority (lower wins); 255 for background.
    let rank: [UInt8]
    var labels: Volume<UInt8>
    var fatCandidate: Volume<UInt8>
    var masks: [Structure: StructureMask] = [:]
    var preview: Volume<UInt8>?
    var kidneyBox: IndexBox?
    var timings: [(stage: String, seconds: Double)] = []
    var warnings: [String] = []

    init(
        ct: Volume<Int16>, priority: [Structure], isCancelled: @escaping @Sendable () -> Bool,
        events: @escaping @Sendable (SegmentationEvent) -> Void
    ) {
        self.ct = ct
        self.events = events
        self.isCancelled = isCancelled
        var rank = [UInt8](repeating: 255, count: 256)
        for (position, structure) in priority.enumerated() { rank[Int(structure.labelValue)] = UInt8(position) }
        self.rank = rank
        labels = zeroLabelMap(size: ct.size, geometry: ct.geometry)
        fatCandidate = zeroLabelMap(size: SIMD3(0, 0, 0), geometry: ct.geometry)
    }

    /// Throws `.cancelled` when the caller cancelled the job (`next`: what would have run).
    func checkCancellation(_ next: String) throws(SegmentationError) {
        if isCancelled() { throw SegmentationError(.cancelled, "the job was cancelled before \(next)") }
    }

    /// Runs `body`, recording its time and announcing start and end.
    mutating func timed<E: Error>(_ stage: String, _ body: (inout JobState) throws(E) -> Void) throws(E) {
        events(.started(stage: stage))
        let start = Date()
        try body(&self)
        finish(stage, since: start)
    }

    private mutating func finish(_ stage: String, since start: Date) {
        let seconds = Date().timeIntervalSince(start)
        timings.append((stage, seconds))
        events(.finished(stage: stage, seconds: seconds))
    }

    /// Pastes a model's canonical label map (on the region starting at `offset`) into the masks of
    /// `structures` and into the merged map by priority; announces the model's masks.
    mutating func add(_ regionLabels: Volume<UInt8>, at offset: SIMD3<Int>, structures: [Structure], model: String) {
        let wanted = Set(structures.map(\.labelValue))
        let s = regionLabels.size
        let full = labels.size
        labels.voxels.elements.withUnsafeMutableBufferPointer { merged in
            regionLabels.voxels.elements.withUnsafeBufferPointer { source in
                for k in 0..<s.z {
                    for j in 0..<s.y {
                        let row = (k * s.y + j) * s.x
                        let target = ((k + offset.z) * full.y + (j + offset.y)) * full.x + offset.x
                        for i in 0..<s.x {
                            let value = source[row + i]
                            guard value != 0, wanted.contains(value) else { continue }
                            let current = merged[target + i]
                            if current == 0 || rank[Int(value)] < rank[Int(current)] { merged[target + i] = value }
                        }
                    }
                }
            }
        }
        let finished = structures.sorted().map { structure in
            Self.mask(of: structure, in: regionLabels, offset: offset, model: model)
        }
        for mask in finished { masks[mask.structure] = mask }
        events(.modelFinished(model: model, masks: finished))
    }

    /// `structure`'s voxels of a region label map, cropped to their box (an empty 1-voxel mask when absent).
    static func mask(
        of structure: Structure, in region: Volume<UInt8>, offset: SIMD3<Int>, model: String
    ) -> StructureMask {
        let binary = binaryMask(of: region, values: [structure.labelValue])
        let local = boundingBox(of: binary, values: [1]) ?? IndexBox(lower: .zero, upper: SIMD3(1, 1, 1))
        let cropped = (try? binary.cropped(to: local)) ?? binary
        var count = 0
        for value in cropped.voxels.elements where value != 0 { count += 1 }
        return StructureMask(
            structure: structure, box: IndexBox(lower: local.lower &+ offset, upper: local.upper &+ offset),
            mask: cropped, volumeML: Double(count) * region.geometry.voxelVolumeMM3 / 1000, model: model)
    }

    func result() -> SegmentationResult {
        SegmentationResult(
            labels: labels, masks: masks, fatCandidate: fatCandidate, preview: preview, kidneyBox: kidneyBox,
            timings: timings, warnings: warnings)
    }
}
