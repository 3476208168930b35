public import ArrayCore
public import VolumeCore

/// Seeded damage of a label map, the kind segmentation models make: spurious fragments of a label away from
/// every structure, and holes punched into one structure. Tests use it to check that corrections undo it.
public struct LabelMapDamage: Sendable {
    /// Spurious fragments: `count` blobs of `label`, each of a volume (mm³) drawn from `volumeMM3`.
    public struct Fragments: Sendable {
        public var label: UInt8
        public var count: Int
        public var volumeMM3: ClosedRange<Double>

        public init(label: UInt8, count: Int, volumeMM3: ClosedRange<Double>) {
            self.label = label
            self.count = count
            self.volumeMM3 = volumeMM3
        }
    }

    public var fragments: [Fragments]
    /// Fragments are placed where every labelled voxel is at least this far (mm), so that they are
    /// unambiguously spurious.
    public var clearanceMM: Double
    /// The label that gets holes.
    public var holeLabel: UInt8
    /// Number of holes (balls set to background, fully enclosed by `holeLabel`).
    public var holeCount: Int
    /// Hole radius range, mm.
    public var holeRadiusMM: ClosedRange<Double>

    public init(
        fragments: [Fragments], clearanceMM: Double = 25, holeLabel: UInt8 = 1, holeCount: Int = 8,
        holeRadiusMM: ClosedRange<Double> = 3...6
    ) {
        self.fragments = fragments
        self.clearanceMM = clearanceMM
        self.holeLabel = holeLabel
        self.holeCount = holeCount
        self.holeRadiusMM = holeRadiusMM
    }
}

/// What `damaged(_:with:seed:)` did.
public struct DamagedLabelMap: Sendable {
    public var labelMap: Volume<UInt8>
    /// Voxels set to background by holes.
    public var holeVoxels: Int
    /// Voxels painted by fragments, per label.
    public var fragmentVoxels: [UInt8: Int]
    /// Fragments that found no free place (too crowded a grid); 0 in a sound test.
    public var unplacedFragments: Int
}

/// Applies `damage` to `labelMap`, reproducibly for a `seed`. Places are drawn at random (up to 2000 tries
/// per hole or fragment); whatever cannot be placed is counted in `unplacedFragments` / fewer hole voxels.
public func damaged(_ labelMap: Volume<UInt8>, with damage: LabelMapDamage, seed: UInt64) -> DamagedLabelMap {
    var random = SeededGenerator(seed: seed)
    var map = labelMap
    let spacing = labelMap.geometry.spacing
    let size = labelMap.size
    func randomVoxel() -> SIMD3<Int> {
        SIMD3(
            Int.random(in: 0..<size.x, using: &random), Int.random(in: 0..<size.y, using: &random),
            Int.random(in: 0..<size.z, using: &random))
    }
    // Holes: balls whose voxels (plus one voxel around) all hold the hole label.
    var holeVoxels = 0
    for _ in 0..<damage.holeCount {
        let radius = Double.random(in: damage.holeRadiusMM, using: &random)
        for _ in 0..<2000 {
            let centre = randomVoxel()
            let ball = ballVoxels(centre: centre, radiusMM: radius, spacing: spacing, size: size)
            let rim = ballVoxels(centre: centre, radiusMM: radius + spacing.max(), spacing: spacing, size: size)
            guard rim.count > ball.count, rim.allSatisfy({ map[$0.x, $0.y, $0.z] == damage.holeLabel }) else {
                continue
            }
            for p in ball { map[p.x, p.y, p.z] = 0 }
            holeVoxels += ball.count
            break
        }
    }
    // Fragments: random blobs grown voxel by voxel from a free centre.
    var fragmentVoxels: [UInt8: Int] = [:]
    var unplaced = 0
    let voxelVolume = spacing.x * spacing.y * spacing.z
    for group in damage.fragments {
        for _ in 0..<group.count {
            let target = max(1, Int((Double.random(in: group.volumeMM3, using: &random) / voxelVolume).rounded()))
            let reach = (target.toDouble.squareRoot() + 1) * spacing.max()
            var placed = false
            for _ in 0..<2000 {
                let centre = randomVoxel()
                let near = ballVoxels(
                    centre: centre, radiusMM: damage.clearanceMM + reach, spacing: spacing, size: size)
                guard near.allSatisfy({ labelMap[$0.x, $0.y, $0.z] == 0 && map[$0.x, $0.y, $0.z] == 0 }) else {
                    continue
                }
                let blob = grownBlob(from: centre, voxels: target, size: size, random: &random)
                for p in blob { map[p.x, p.y, p.z] = group.label }
                fragmentVoxels[group.label, default: 0] += blob.count
                placed = true
                break
            }
            if !placed { unplaced += 1 }
        }
    }
    return DamagedLabelMap(
        labelMap: map, holeVoxels: holeVoxels, fragmentVoxels: fragmentVoxels, unplacedFragments: unplaced)
}

/// Voxel indices whose centres lie within `radiusMM` of `centre`'s centre, inside the grid.
func ballVoxels(centre: SIMD3<Int>, radiusMM: Double, spacing: SIMD3<Double>, size: SIMD3<Int>) -> [SIMD3<Int>] {
    let reach = SIMD3(Int(radiusMM / spacing.x), Int(radiusMM / spacing.y), Int(radiusMM / spacing.z))
    var out: [SIMD3<Int>] = []
    for k in max(0, centre.z - reach.z)...min(size.z - 1, centre.z + reach.z) {
        for j in max(0, centre.y - reach.y)...min(size.y - 1, centre.y + reach.y) {
            for i in max(0, centre.x - reach.x)...min(size.x - 1, centre.x + reach.x) {
                let d = SIMD3<Double>(Double(i - centre.x), Double(j - centre.y), Double(k - centre.z)) * spacing
                if (d * d).sum() <= radiusMM * radiusMM { out.append(SIMD3(i, j, k)) }
            }
        }
    }
    return out
}

/// A 6-connected blob of `voxels` voxels grown from `start` by adding random face neighbours.
func grownBlob<R: RandomNumberGenerator>(
    from start: SIMD3<Int>, voxels: Int, size: SIMD3<Int>, random: inout R
) -> [SIMD3<Int>] {
    var blob = [start]
    var inside: Set<SIMD3<Int>> = [start]
    let steps = [SIMD3(1, 0, 0), SIMD3(-1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, -1, 0), SIMD3(0, 0, 1), SIMD3(0, 0, -1)]
    var attempts = 0
    while blob.count < voxels && attempts < voxels * 100 {
        attempts += 1
        let from = blob[Int.random(in: 0..<blob.count, using: &random)]
        let next = from &+ steps[Int.random(in: 0..<6, using: &random)]
        guard (0..<3).allSatisfy({ next[$0] >= 0 && next[$0] < size[$0] }), !inside.contains(next) else { continue }
        inside.insert(next)
        blob.append(next)
    }
    return blob
}

extension Int {
    fileprivate var toDouble: Double { Double(self) }
}
