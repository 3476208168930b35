import ArrayCore
import VolumeCore

// Rasterises an `Anatomy` onto a voxel grid, one axial slice at a time (slices run concurrently).
//
// Per row (constant y, z): the torso layers are filled analytically, then each scene object whose bounding
// box meets the row paints the x interval it covers (exact for ellipsoids and prisms, per-segment boxes for
// tubes), cut to its confinement region; later objects paint over earlier ones. Labels are the crisp
// classification at voxel centres. The CT is the material HU plus white Gaussian noise, blurred by a 3×3
// binomial kernel in-plane (partial volume at edges and CT-like correlated noise); the noise is drawn from a
// hash of (seed, voxel index), so the output does not depend on how slices are split across threads.
// Limits: no blur across slices (thick slices are point samples of the anatomy at the slice centre).
struct Rasterizer {
    var anatomy: Anatomy
    var geometry: VolumeGeometry
    var size: SIMD3<Int>
    var noise: Double
    var noiseSalt: UInt64

    /// Variance of the binomial blur applied to white noise is (6/16)² of the input's, so the input noise is
    /// scaled by 16/6 to give `noise` HU after blurring.
    private static let noiseGain: Float = 16.0 / 6.0

    func render(ct: inout Volume<Int16>, labels: inout Volume<UInt8>) {
        let planeCount = size.x * size.y
        ct.voxels.elements.withUnsafeMutableBufferPointer { ctBuffer in
            labels.voxels.elements.withUnsafeMutableBufferPointer { labelBuffer in
                concurrentChunks(count: size.z) { slices in
                    var scratch = SliceScratch(planeCount: planeCount)
                    for k in slices {
                        let offset = k * planeCount
                        let labelSlice = UnsafeMutableBufferPointer(
                            rebasing: labelBuffer[offset..<(offset + planeCount)])
                        let ctSlice = UnsafeMutableBufferPointer(rebasing: ctBuffer[offset..<(offset + planeCount)])
                        paintSlice(k, labels: labelSlice, scratch: &scratch)
                        shadeSlice(k, ct: ctSlice, scratch: &scratch)
                    }
                }
            }
        }
    }

    /// Per-thread buffers reused across slices.
    private struct SliceScratch {
        var materials: [UInt8]
        var values: [Float]
        var blurred: [Float]
        var objects: [Int] = []
        var active: [Int] = []

        init(planeCount: Int) {
            materials = Array(repeating: 0, count: planeCount)
            values = Array(repeating: 0, count: planeCount)
            blurred = Array(repeating: 0, count: planeCount)
            active.reserveCapacity(64)
        }
    }

    private func paintSlice(_ k: Int, labels: UnsafeMutableBufferPointer<UInt8>, scratch: inout SliceScratch) {
        let z = geometry.origin.z + Double(k) * geometry.spacing.z
        scratch.objects.removeAll(keepingCapacity: true)
        for (index, object) in anatomy.objects.enumerated() {
            let box = object.box
            if box.lower.z <= z && z <= box.upper.z { scratch.objects.append(index) }
        }
        for j in 0..<size.y {
            let y = geometry.origin.y + Double(j) * geometry.spacing.y
            let rowStart = j * size.x
            paintRow(y: y, z: z, rowStart: rowStart, labels: labels, scratch: &scratch)
        }
    }

    private func paintRow(
        y: Double, z: Double, rowStart: Int, labels: UnsafeMutableBufferPointer<UInt8>, scratch: inout SliceScratch
    ) {
        let nx = size.x
        for i in 0..<nx {
            scratch.materials[rowStart + i] = Material.air.rawValue
            labels[rowStart + i] = 0
        }
        var regions: [BodyCrossSection.Layer: (Double, Double)] = [:]
        for layer in BodyCrossSection.Layer.allCases {
            guard let half = anatomy.body.halfWidth(of: layer, y: y, z: z) else { break }
            regions[layer] = (-half, half)
            let range = indexRange(-half, half)
            for i in range { scratch.materials[rowStart + i] = layer.material.rawValue }
        }
        for index in scratch.objects {
            let object = anatomy.objects[index]
            guard object.box.contains(y: y, z: z) else { continue }
            scratch.active.removeAll(keepingCapacity: true)
            guard var interval = rowInterval(object, y: y, z: z, active: &scratch.active) else { continue }
            switch object.confinement {
            case .none: break
            case .muscleCompartment, .cavity:
                let layer: BodyCrossSection.Layer = object.confinement == .cavity ? .cavity : .muscleWall
                guard let region = regions[layer] else { continue }
                interval = (max(interval.0, region.0), min(interval.1, region.1))
            }
            let range = indexRange(interval.0, interval.1)
            guard !range.isEmpty else { continue }
            let label = object.label.rawValue
            if let material = object.uniformMaterial {
                for i in range {
                    scratch.materials[rowStart + i] = material.rawValue
                    labels[rowStart + i] = label
                }
                continue
            }
            let active = scratch.active[...]
            for i in range {
                let p = SIMD3(geometry.origin.x + Double(i) * geometry.spacing.x, y, z)
                if let material = object.sample(p, active: active) {
                    scratch.materials[rowStart + i] = material.rawValue
                    labels[rowStart + i] = label
                }
            }
        }
    }

    private func rowInterval(_ object: SceneObject, y: Double, z: Double, active: inout [Int]) -> (Double, Double)? {
        switch object.shape {
        case .ellipsoid(let e): e.rowInterval(y: y, z: z)
        case .prism(let p): p.rowInterval(y: y, z: z)
        case .tube(let t): t.activeSegments(y: y, z: z, into: &active)
        }
    }

    /// Voxel indices i whose centres lie in the world x interval [low, high].
    private func indexRange(_ low: Double, _ high: Double) -> Range<Int> {
        let first = ((low - geometry.origin.x) / geometry.spacing.x).rounded(.up)
        let last = ((high - geometry.origin.x) / geometry.spacing.x).rounded(.down)
        guard first <= last, last >= 0, first < Double(size.x) else { return 0..<0 }
        return max(0, Int(first))..<(min(size.x - 1, Int(last)) + 1)
    }

    private func shadeSlice(_ k: Int, ct: UnsafeMutableBufferPointer<Int16>, scratch: inout SliceScratch) {
        let nx = size.x
        let ny = size.y
        let planeCount = nx * ny
        let sigma = Float(noise) * Self.noiseGain
        let base = UInt64(k) &* UInt64(planeCount)
        anatomy.materials.hu.withUnsafeBufferPointer { table in
            for n in 0..<planeCount {
                let hash = PhantomRandom.mix(noiseSalt &+ (base &+ UInt64(n)) &* 0x9E37_79B9_7F4A_7C15)
                scratch.values[n] = table[Int(scratch.materials[n])] + sigma * PhantomRandom.gaussian(hash)
            }
        }
        // Separable [1 2 1]/4 blur along x, then y, clamping at the borders.
        for j in 0..<ny {
            let row = j * nx
            for i in 0..<nx {
                let left = scratch.values[row + max(i - 1, 0)]
                let right = scratch.values[row + min(i + 1, nx - 1)]
                scratch.blurred[row + i] = 0.25 * (left + right) + 0.5 * scratch.values[row + i]
            }
        }
        for j in 0..<ny {
            let up = max(j - 1, 0) * nx
            let row = j * nx
            let down = min(j + 1, ny - 1) * nx
            for i in 0..<nx {
                let value =
                    0.25 * (scratch.blurred[up + i] + scratch.blurred[down + i]) + 0.5 * scratch.blurred[row + i]
                ct[row + i] = Int16(min(max(value.rounded(), -1024), 3071))
            }
        }
    }
}
