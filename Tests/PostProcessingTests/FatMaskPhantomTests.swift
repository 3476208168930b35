import Foundation
import LabelOps
import Phantom
import Testing
import VolumeCore

@testable import PostProcessing

/// The fat mask on phantoms (truth: label 6) and on a scene with a closed fascia, plus its bad-input paths.
@Suite struct FatMaskPhantomTests {
    /// Acceptance (issue 7): on phantoms the fat mask has Dice ≥ 0.9 against the perirenal-fat truth, and keeps
    /// its invariants (only candidate voxels or the capsule rim, never a structure, each side on its side).
    @Test(arguments: [UInt64(1), 2, 3])
    func fatMaskOnPhantom(seed: UInt64) throws {
        let phantom = try PhantomCases.generate(seed: seed)
        let structures = PhantomCases.structures(phantom.labels)
        let candidate = fatCandidateMask(ct: phantom.ct)
        let result = try perirenalFatMask(labels: structures, fatCandidate: candidate, hu: phantom.ct)
        let fat = PhantomLabel.perirenalFat.rawValue
        let d = dice(result.mask, phantom.labels, { $0 != 0 }, { $0 == fat })
        print("fat mask seed \(seed): Dice \((d * 10000).rounded() / 10000) against the phantom's perirenal fat")
        #expect(d >= 0.9, "seed \(seed): Dice \(d)")
        #expect(result.sides.map(\.side) == [.left, .right])
        let plane = SideSplit.gridCentre.planeX(geometry: structures.geometry, size: structures.size)
        var counts: [UInt8: Int] = [:]
        var rim = 0
        for k in 0..<structures.size.z {
            for j in 0..<structures.size.y {
                for i in 0..<structures.size.x where result.mask[i, j, k] != 0 {
                    let value = result.mask[i, j, k]
                    counts[value, default: 0] += 1
                    #expect(structures[i, j, k] == 0)
                    if candidate[i, j, k] == 0 {
                        rim += 1
                        let nearOrgan = touchesOrgan(structures, i, j, k)
                        #expect(nearOrgan, "rim voxel (\(i), \(j), \(k)) away from the organ")
                    }
                    // Fat far from the midline (> 40 mm) lies on its own side.
                    let x = structures.geometry.worldPoint(atIndex: SIMD3(Double(i), Double(j), Double(k))).x
                    if abs(x - plane) > 40 { #expect((x > plane) == (value == FatSideLabel.left)) }
                }
            }
        }
        #expect(rim * 5 < counts.values.reduce(0, +), "the capsule rim is a thin layer (\(rim) voxels)")
        for side in result.sides {
            let voxels = counts[FatSideLabel.value(side.side)] ?? 0
            #expect(side.voxelCount == voxels)
            #expect(abs(side.volumeML - Double(voxels) * structures.geometry.voxelVolumeMM3 / 1000) < 1e-9)
            let meanHU = try #require(side.meanHU)
            #expect((-190.0)...(-30.0) ~= meanHU)
            #expect(side.posteriorThickness != nil)
        }
    }

    /// A kidney-like ellipsoid in fat, a 2-voxel non-fat fascia 10 mm out, visceral fat beyond: the mask must
    /// be the fat between organ and fascia.
    @Test func closedFasciaBoundsTheMask() throws {
        let geometry = try VolumeGeometry(spacing: SIMD3(1.5, 1.5, 2.5), origin: SIMD3(-90, -90, -100))
        let size = SIMD3(120, 120, 80)
        var labels = Volume(size: size, geometry: geometry, repeating: UInt8(0))
        var candidate = Volume(size: size, geometry: geometry, repeating: UInt8(1))
        var truth = Volume(size: size, geometry: geometry, repeating: UInt8(0))
        let centre = SIMD3<Double>(45, 0, 0)
        let semi = SIMD3<Double>(25, 30, 50)
        for k in 0..<size.z {
            for j in 0..<size.y {
                for i in 0..<size.x {
                    let p = geometry.worldPoint(atIndex: SIMD3(Double(i), Double(j), Double(k))) - centre
                    let r = ((p / semi) * (p / semi)).sum().squareRoot()
                    let outside = r * min(semi.x, semi.y, semi.z)  // ≈ mm beyond the surface
                    if r <= 1 {
                        labels[i, j, k] = 1
                    } else if outside - min(semi.x, semi.y, semi.z) < 10 {
                        truth[i, j, k] = 1
                    } else if outside - min(semi.x, semi.y, semi.z) < 13 {
                        candidate[i, j, k] = 0
                    }
                }
            }
        }
        let result = try perirenalFatMask(labels: labels, fatCandidate: candidate)
        let d = dice(result.mask, truth, { $0 != 0 }, { $0 != 0 })
        #expect(d >= 0.9, "Dice \(d)")
        #expect(result.sides.map(\.side) == [.left])
    }

    @Test func mismatchedGridsAreAnErrorNamingTheInputs() throws {
        let labels = Volume(size: SIMD3(8, 8, 8), repeating: UInt8(1))
        let candidate = Volume(size: SIMD3(8, 8, 9), repeating: UInt8(1))
        do {
            _ = try perirenalFatMask(labels: labels, fatCandidate: candidate)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .geometryMismatch)
            #expect(error.description.contains("fat candidate"))
        }
        var shifted = labels
        shifted.geometry.origin = SIMD3(1, 0, 0)
        #expect(throws: PostProcessingError.self) {
            try perirenalFatMask(labels: labels, fatCandidate: labels, hu: shifted.map { Int16($0) })
        }
    }

    @Test func noKidneyGivesAnEmptyMaskAndAWarning() throws {
        let labels = Volume(size: SIMD3(8, 8, 8), repeating: UInt8(3))
        let result = try perirenalFatMask(labels: labels, fatCandidate: Volume(size: SIMD3(8, 8, 8), repeating: 1))
        #expect(result.mask.voxels.elements.allSatisfy { $0 == 0 })
        #expect(result.sides.isEmpty)
        #expect(result.warnings.contains { $0.contains("no kidney") })
    }

    @Test func badOptionsAreListedTogether() {
        let labels = Volume(size: SIMD3(4, 4, 4), repeating: UInt8(1))
        do {
            _ = try perirenalFatMask(
                labels: labels, fatCandidate: labels,
                options: FatMaskOptions(distanceMM: 0, seedDistanceMM: -1, minimumComponentMM3: .nan))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidOption)
            #expect(["distanceMM", "seedDistanceMM", "minimumComponentMM3"].allSatisfy(error.message.contains))
        }
    }
}

/// Whether a 26-neighbour of (i, j, k) is kidney (1) or tumour (2).
private func touchesOrgan(_ labels: Volume<UInt8>, _ i: Int, _ j: Int, _ k: Int) -> Bool {
    for dk in -1...1 {
        for dj in -1...1 {
            for di in -1...1 {
                let p = SIMD3(i + di, j + dj, k + dk)
                guard p.x >= 0, p.y >= 0, p.z >= 0, p.x < labels.size.x, p.y < labels.size.y, p.z < labels.size.z
                else { continue }
                if labels[p.x, p.y, p.z] == 1 || labels[p.x, p.y, p.z] == 2 { return true }
            }
        }
    }
    return false
}
