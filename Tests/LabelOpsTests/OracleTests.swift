import Foundation
import Testing
import VolumeCore

@testable import LabelOps

/// Parity with cc3d and scipy.ndimage on the generated fixtures: exact for labels and masks, 1e-6 mm for EDT.
@Suite struct OracleTests {
    @Test func manifestIsComplete() {
        let kinds = Set((LabelOpsManifest.shared?.cases ?? []).map(\.kind))
        #expect(kinds == ["cc", "fill3d", "fill2d", "dilate", "erode", "close", "open", "edt", "largest", "dust"])
    }

    @Test(arguments: LabelOpsManifest.cases(kind: "cc"))
    func connectedComponentsMatchCC3D(_ testCase: LabelOpsManifest.Case) throws {
        let input = try testCase.inputVolume()
        let connectivity = try #require(Connectivity(rawValue: testCase.connectivity ?? 0))
        let expected = try LabelOpsManifest.read(testCase.expected, as: UInt16.self)
        let labeling = try connectedComponents(input, connectivity: connectivity)
        #expect(labeling.count == testCase.count)
        #expect(labeling.labels.voxels.elements.map { UInt16($0) } == expected)
        for (index, id) in labeling.labels.voxels.elements.enumerated() where id != 0 {
            #expect(labeling.values[Int(id) - 1] == input.voxels.elements[index])
        }
    }

    /// Same result with one worker and with many (slab seams must join correctly).
    @Test(arguments: LabelOpsManifest.cases(kind: "cc"))
    func connectedComponentsIndependentOfThreads(_ testCase: LabelOpsManifest.Case) throws {
        let input = try testCase.inputVolume()
        let connectivity = try #require(Connectivity(rawValue: testCase.connectivity ?? 0))
        let expected = try LabelOpsManifest.read(testCase.expected, as: UInt16.self)
        for slabs in [1, 2, 3, 5] {
            let labeling = try connectedComponents(input, connectivity: connectivity, slabCount: slabs)
            #expect(labeling.labels.voxels.elements.map { UInt16($0) } == expected, "\(slabs) slabs")
        }
    }

    @Test(arguments: LabelOpsManifest.cases(kind: "fill3d"))
    func fillHolesMatchesScipy(_ testCase: LabelOpsManifest.Case) throws {
        let expected = try LabelOpsManifest.read(testCase.expected, as: UInt8.self)
        #expect(try fillHoles(testCase.inputVolume()).voxels.elements == expected)
    }

    @Test(arguments: LabelOpsManifest.cases(kind: "fill2d"))
    func sliceWiseFillHolesMatchesScipy(_ testCase: LabelOpsManifest.Case) throws {
        let expected = try LabelOpsManifest.read(testCase.expected, as: UInt8.self)
        let result = try fillHolesSliceWise(testCase.inputVolume(), axis: testCase.axis ?? -1)
        #expect(result.voxels.elements == expected)
    }

    @Test(
        arguments: LabelOpsManifest.cases(kind: "dilate") + LabelOpsManifest.cases(kind: "erode")
            + LabelOpsManifest.cases(kind: "close") + LabelOpsManifest.cases(kind: "open"))
    func morphologyMatchesScipy(_ testCase: LabelOpsManifest.Case) throws {
        let input = try testCase.inputVolume()
        let radius = try #require(testCase.radius_mm)
        let expected = try LabelOpsManifest.read(testCase.expected, as: UInt8.self)
        let result: Volume<UInt8> =
            switch testCase.kind {
            case "dilate": try dilate(input, radiusMM: radius)
            case "erode": try erode(input, radiusMM: radius)
            case "close": try close(input, radiusMM: radius)
            default: try open(input, radiusMM: radius)
            }
        let differing = zip(result.voxels.elements, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) voxels differ")
    }

    @Test(arguments: LabelOpsManifest.cases(kind: "edt"))
    func distanceTransformMatchesScipy(_ testCase: LabelOpsManifest.Case) throws {
        let expected = try LabelOpsManifest.read(testCase.expected, as: Double.self)
        let result = distanceTransform(try testCase.inputVolume())
        let worst = zip(result.voxels.elements, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-6, "largest difference \(worst) mm")
    }

    @Test(arguments: LabelOpsManifest.cases(kind: "largest"))
    func keepLargestMatchesCC3D(_ testCase: LabelOpsManifest.Case) throws {
        let connectivity = try #require(Connectivity(rawValue: testCase.connectivity ?? 0))
        let expected = try LabelOpsManifest.read(testCase.expected, as: UInt8.self)
        let result = try keepLargestComponent(testCase.inputVolume(), connectivity: connectivity)
        #expect(result.labelMap.voxels.elements == expected)
    }

    @Test(arguments: LabelOpsManifest.cases(kind: "dust"))
    func removeSmallMatchesCC3DDust(_ testCase: LabelOpsManifest.Case) throws {
        let connectivity = try #require(Connectivity(rawValue: testCase.connectivity ?? 0))
        let threshold = try #require(testCase.threshold_mm3)
        let expected = try LabelOpsManifest.read(testCase.expected, as: UInt8.self)
        let result = try removeSmallComponents(
            testCase.inputVolume(), minimumVolumeMM3: threshold, connectivity: connectivity)
        #expect(result.labelMap.voxels.elements == expected)
    }
}
