import ArrayCore
import Foundation
import OrganaTestSupport
import Phantom
import Testing
import VolumeCore

@Suite struct PhantomGenerationTests {
    @Test func sameSeedGivesIdenticalVolumes() throws {
        let first = try generatePhantom(SharedPhantoms.small(seed: 7))
        let second = try generatePhantom(SharedPhantoms.small(seed: 7))
        #expect(first.ct == second.ct)
        #expect(first.labels == second.labels)
        #expect(first.anatomy == second.anatomy)
    }

    @Test func differentSeedGivesADifferentPatient() throws {
        let first = try generatePhantom(SharedPhantoms.small(seed: 7))
        let second = try generatePhantom(SharedPhantoms.small(seed: 8))
        #expect(first.ct != second.ct)
        #expect(first.labels != second.labels)
        #expect(first.anatomy.leftKidneyCentre != second.anatomy.leftKidneyCentre)
    }

    @Test func outputDoesNotDependOnTheThreadCount() throws {
        let saved = ParallelSettings.workerCount
        defer { ParallelSettings.workerCount = saved }
        ParallelSettings.workerCount = 1
        let serial = try generatePhantom(SharedPhantoms.small(seed: 3))
        ParallelSettings.workerCount = 3
        let parallel = try generatePhantom(SharedPhantoms.small(seed: 3))
        #expect(serial.ct == parallel.ct)
        #expect(serial.labels == parallel.labels)
    }

    @Test func geometryIsCentredLPSWithTheRequestedSpacing() {
        let phantom = SharedPhantoms.standard
        let geometry = phantom.ct.geometry
        #expect(phantom.ct.size == SIMD3(256, 256, 120))
        #expect(phantom.labels.geometry == geometry)
        #expect(geometry.direction == .identity)
        #expect(geometry.spacing == SIMD3(1.5, 1.5, 2.5))
        let centre = geometry.worldPoint(atIndex: SIMD3(127.5, 127.5, 59.5))
        #expect(abs(centre.x) < 1e-9 && abs(centre.y) < 1e-9 && abs(centre.z) < 1e-9)
    }

    @Test func everyLabelIsPresentWithAPlausibleVolume() {
        let stats = PhantomStatistics(SharedPhantoms.standard)
        let expected: [(PhantomLabel, ClosedRange<Double>)] = [
            (.kidney, 200...420), (.tumor, 3...120), (.artery, 20...250), (.vein, 20...250), (.ureter, 1...40),
            (.perirenalFat, 100...900),
        ]
        for (label, range) in expected {
            #expect(range.contains(stats.volume(label)), "\(label): \(stats.volume(label)) mL")
        }
        // Thin structures are thin: the ureters together are far smaller than one kidney.
        #expect(stats.volume(.ureter) < 0.2 * stats.volume(.kidney))
    }

    @Test func eachKidneyHasARealisticVolume() {
        let phantom = SharedPhantoms.standard
        for side in [1.0, -1.0] {
            let stats = PhantomStatistics(phantom) { $0.x * side > 0 }
            let kidneyAndTumor = stats.volume(.kidney) + stats.volume(.tumor)
            #expect((110...220).contains(kidneyAndTumor), "kidney on side \(side): \(kidneyAndTumor) mL")
        }
    }

    @Test func huStatisticsLookLikeAPortalVenousCT() {
        let stats = PhantomStatistics(SharedPhantoms.standard)
        #expect((120...210).contains(stats.meanHU(.kidney)), "kidney \(stats.meanHU(.kidney))")
        #expect(stats.meanHU(.artery) > 200, "artery \(stats.meanHU(.artery))")
        #expect((110...220).contains(stats.meanHU(.vein)), "vein \(stats.meanHU(.vein))")
        #expect((-120 ... -60).contains(stats.meanHU(.perirenalFat)), "fat \(stats.meanHU(.perirenalFat))")
        #expect((-60...110).contains(stats.meanHU(.ureter)), "ureter \(stats.meanHU(.ureter))")
        #expect((20...150).contains(stats.meanHU(.tumor)), "tumor \(stats.meanHU(.tumor))")
        #expect(stats.meanHU(.tumor) < stats.meanHU(.kidney))
        #expect(stats.meanHU(.artery) > stats.meanHU(.vein))
    }

    @Test func noiseHasTheRequestedStandardDeviation() throws {
        var options = SharedPhantoms.small(seed: 5)
        options.noise = 0
        let clean = try generatePhantom(options)
        options.noise = 20
        let noisy = try generatePhantom(options)
        let differences = zip(noisy.ct.voxels.elements, clean.ct.voxels.elements).map { Double($0) - Double($1) }
        let mean = differences.reduce(0, +) / Double(differences.count)
        let variance = differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(differences.count)
        #expect(abs(variance.squareRoot() - 20) < 2, "noise sd \(variance.squareRoot())")
    }

    @Test func patientLeftKidneyIsOnThePlusXSide() {
        let phantom = SharedPhantoms.standard
        #expect(phantom.anatomy.leftKidneyCentre.x > 40)
        #expect(phantom.anatomy.rightKidneyCentre.x < -40)
        let left = PhantomStatistics(phantom) { $0.x > 0 }.centroid(.kidney)
        let right = PhantomStatistics(phantom) { $0.x < 0 }.centroid(.kidney)
        let leftOffset = left - phantom.anatomy.leftKidneyCentre
        let rightOffset = right - phantom.anatomy.rightKidneyCentre
        #expect((leftOffset * leftOffset).sum().squareRoot() < 15)
        #expect((rightOffset * rightOffset).sum().squareRoot() < 15)
        // Kidneys are posterior (+y in LPS), beside the spine.
        #expect(left.y > 0 && right.y > 0)
    }

    @Test func perirenalFatSurroundsEachKidney() {
        let phantom = SharedPhantoms.standard
        let labels = phantom.labels
        let size = labels.size
        let spacing = labels.geometry.spacing
        // Every fat voxel lies within 40 mm of the kidney or tumour; most kidney surface voxels touch fat within 5 mm.
        let reach = SIMD3<Int>(Int(40 / spacing.x), Int(40 / spacing.y), Int(40 / spacing.z))
        let near = SIMD3<Int>(Int(5 / spacing.x), Int(5 / spacing.y), Int((5 / spacing.z).rounded(.up)))
        let organ = dilated(labels, labels: [.kidney, .tumor], radius: reach)
        let fatNearby = dilated(labels, labels: [.perirenalFat], radius: near)
        var fatOutside = 0
        var surface = 0
        var surfaceWithFat = 0
        for k in 1..<(size.z - 1) {
            for j in 1..<(size.y - 1) {
                for i in 1..<(size.x - 1) {
                    let value = labels[i, j, k]
                    if value == PhantomLabel.perirenalFat.rawValue && !organ[labels.linearIndex(i, j, k)] {
                        fatOutside += 1
                    }
                    guard value == PhantomLabel.kidney.rawValue else { continue }
                    let neighbours = [
                        labels[i - 1, j, k], labels[i + 1, j, k], labels[i, j - 1, k], labels[i, j + 1, k],
                        labels[i, j, k - 1], labels[i, j, k + 1],
                    ]
                    guard
                        neighbours.contains(PhantomLabel.background.rawValue)
                            || neighbours.contains(PhantomLabel.perirenalFat.rawValue)
                    else { continue }
                    surface += 1
                    if fatNearby[labels.linearIndex(i, j, k)] { surfaceWithFat += 1 }
                }
            }
        }
        #expect(fatOutside == 0)
        #expect(surface > 0)
        #expect(Double(surfaceWithFat) / Double(surface) > 0.6, "\(surfaceWithFat) of \(surface) surface voxels")
    }

    @Test func thickSlicesShowTheSameAnatomy() {
        let thin = PhantomStatistics(SharedPhantoms.standard)
        let thick = PhantomStatistics(SharedPhantoms.thickSlices)
        let tolerances: [(PhantomLabel, Double)] = [
            (.kidney, 0.03), (.tumor, 0.06), (.perirenalFat, 0.03), (.artery, 0.06), (.vein, 0.06), (.ureter, 0.15),
        ]
        for (label, tolerance) in tolerances {
            let relative = abs(thick.volume(label) - thin.volume(label)) / thin.volume(label)
            #expect(relative < tolerance, "\(label): \(thin.volume(label)) vs \(thick.volume(label)) mL")
        }
        #expect(SharedPhantoms.thickSlices.anatomy == SharedPhantoms.standard.anatomy)
    }

    @Test func tumourCanBeLeftOutWithoutChangingThePatient() throws {
        var options = SharedPhantoms.small(seed: 11)
        let with = try generatePhantom(options)
        options.includesTumor = false
        let without = try generatePhantom(options)
        #expect(without.anatomy.tumor == nil)
        #expect(!without.labels.voxels.elements.contains(PhantomLabel.tumor.rawValue))
        #expect(with.anatomy.leftKidneyCentre == without.anatomy.leftKidneyCentre)
    }

    @Test(arguments: [0.0, 1.0])
    func exophyticProbabilityDecidesThePlacement(probability: Double) throws {
        var options = SharedPhantoms.small(seed: 2)
        options.exophyticProbability = probability
        let tumor = try #require(try generatePhantom(options).anatomy.tumor)
        #expect(tumor.exophytic == (probability == 1))
    }

    @Test func badOptionsAreRejectedWithEveryProblemNamed() {
        let options = PhantomOptions(size: SIMD3(0, 64, 64), spacing: SIMD3(1, -1, 1), noise: .nan)
        #expect {
            try generatePhantom(options)
        } throws: { error in
            guard let error = error as? PhantomError, error.code == .invalidOption else { return false }
            return error.message.contains("size x") && error.message.contains("spacing y")
                && error.message.contains("noise")
        }
    }

    @Test func thinTubeAxesLieInTheirLabels() {
        let phantom = SharedPhantoms.standard
        let axes = phantom.anatomy.centrelines
        #expect(
            axes.map(\.label).sorted { $0.rawValue < $1.rawValue } == [
                .artery, .artery, .vein, .vein, .ureter, .ureter,
            ])
        for label in [PhantomLabel.artery, .vein, .ureter] {
            #expect(Set(axes.filter { $0.label == label }.map(\.side)) == Set(KidneySide.allCases), "\(label)")
        }
        for axis in axes {
            let coverage = AxisCoverage(
                axis: axis.samples(step: 1), value: axis.label.rawValue, segmentation: phantom.labels,
                truth: phantom.labels)
            // The painting order lets a vessel cross over a small part of another tube's axis.
            #expect(coverage.inTruth >= 25, "\(axis.side) \(axis.label): \(coverage)")
            #expect(
                Double(coverage.inTruth) >= 0.9 * Double(coverage.inGrid), "\(axis.side) \(axis.label): \(coverage)")
        }
    }

    @Test func axisSamplesAreEvenlySpacedAcrossCorners() {
        let axis = PhantomAnatomy.Centreline(
            label: .ureter, side: .left, points: [SIMD3(0, 0, 0), SIMD3(10, 0, 0), SIMD3(10, 5, 0)])
        #expect(
            axis.samples(step: 2) == [
                SIMD3(0, 0, 0), SIMD3(2, 0, 0), SIMD3(4, 0, 0), SIMD3(6, 0, 0), SIMD3(8, 0, 0), SIMD3(10, 0, 0),
                SIMD3(10, 2, 0), SIMD3(10, 4, 0),
            ])
    }

    @Test func labelNamesAreCanonical() throws {
        #expect(
            PhantomLabel.allCases.map(\.name) == [
                "background", "kidney", "tumor", "artery", "vein", "ureter", "perirenal_fat",
            ])
        #expect(try PhantomLabel.named("perirenal_fat") == .perirenalFat)
        #expect(try PhantomLabel.named(" Fat ") == .perirenalFat)
        #expect(throws: PhantomError.self) { try PhantomLabel.named("liver") }
    }
}

/// Marks voxels within a box of half-size `radius` (voxels) of any voxel with one of `labels`.
private func dilated(_ volume: Volume<UInt8>, labels: [PhantomLabel], radius: SIMD3<Int>) -> [Bool] {
    let size = volume.size
    let values = Set(labels.map(\.rawValue))
    var marked = [Bool](repeating: false, count: volume.voxelCount)
    // Separable box dilation: along x, then y, then z.
    var current = volume.voxels.elements.map { values.contains($0) }
    let strides = [1, size.x, size.x * size.y]
    let extents = [size.x, size.y, size.z]
    for axis in 0..<3 {
        marked = [Bool](repeating: false, count: volume.voxelCount)
        for n in 0..<current.count where current[n] {
            let position = (n / strides[axis]) % extents[axis]
            let low = max(position - radius[axis], 0)
            let high = min(position + radius[axis], extents[axis] - 1)
            for q in low...high { marked[n + (q - position) * strides[axis]] = true }
        }
        current = marked
    }
    return marked
}
