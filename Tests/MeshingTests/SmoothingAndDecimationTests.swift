import Meshing
import OrganaTestSupport
import Testing
import VolumeCore

@Suite struct SmoothingAndDecimationTests {
    static func rawSphere(radius: Double = 10) throws -> (TriangleMesh, Volume<UInt8>) {
        let volume = SyntheticVolumes.sphere(size: SIMD3(32, 32, 32), radius: radius)
        let box = try #require(LabelStatistics(labelMap: volume).entries.first).box
        return (SurfaceExtraction.surface(of: UInt8(1), in: volume, box: box), volume)
    }

    /// Slicer's mapping: pass band 10^(−4 f), 20 + 40 f iterations; tubes keep 20.
    @Test func slicerMapping() throws {
        let half = try SmoothingOptions.slicer(factor: 0.5)
        #expect(half.iterations == 40 && abs(half.passBand - 0.01) < 1e-12)
        let full = try SmoothingOptions.slicer(factor: 1)
        #expect(full.iterations == 60 && abs(full.passBand - 1e-4) < 1e-15)
        #expect(try SmoothingOptions.slicer(factor: 0).method == .none)
        #expect(try StructureStyle.smoothing(for: "artery", factor: 0.5).iterations == 20)
        #expect(try StructureStyle.smoothing(for: "kidney", factor: 0.5).iterations == 40)
    }

    /// Windowed sinc removes the staircase (vertices move) but keeps the sphere's volume and topology;
    /// a plain Laplacian shrinks it, Taubin does not.
    @Test func windowedSincKeepsVolumeLaplacianShrinks() throws {
        let (raw, _) = try Self.rawSphere()
        let rawVolume = raw.signedVolume
        let sinc = try raw.smoothed(SmoothingOptions.slicer(factor: 0.5))
        #expect(sinc.triangles == raw.triangles)
        #expect(abs(sinc.signedVolume / rawVolume - 1) < 0.01)
        #expect(MeshTestShapes.problems(with: sinc, expectedComponents: 1) == [])
        let taubin = try raw.smoothed(SmoothingOptions(method: .taubin, iterations: 20))
        #expect(abs(taubin.signedVolume / rawVolume - 1) < 0.02)
        let laplacian = try raw.smoothed(SmoothingOptions(method: .laplacian, iterations: 50))
        #expect(laplacian.signedVolume < 0.95 * rawVolume)
        // Smoother: vertices lie closer to the ideal sphere.
        func spread(_ mesh: TriangleMesh) -> Double {
            let radii = mesh.positions.map { p -> Double in
                let d = SIMD3<Double>(p) - SIMD3(15.5, 15.5, 15.5)
                return (d * d).sum().squareRoot()
            }
            let mean = radii.reduce(0, +) / Double(radii.count)
            return (radii.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(radii.count)).squareRoot()
        }
        #expect(spread(sinc) < 0.5 * spread(raw))
    }

    @Test(arguments: [0.5, 0.8, 0.9])
    func decimationKeepsAClosedManifold(reduction: Double) throws {
        let (raw, _) = try Self.rawSphere(radius: 12)
        let smooth = try raw.smoothed(SmoothingOptions.slicer(factor: 0.5))
        let decimated = try smooth.decimated(DecimationOptions(targetReduction: reduction))
        #expect(MeshTestShapes.problems(with: decimated, expectedComponents: 1) == [])
        let target = Double(smooth.triangles.count) * (1 - reduction)
        #expect(Double(decimated.triangles.count) <= target + 2)
        #expect(Double(decimated.triangles.count) >= 0.9 * target)
        #expect(abs(decimated.signedVolume / smooth.signedVolume - 1) < 0.01)
    }

    /// Decimation keeps the smoothed sphere's shape: the decimated vertices stay on the smooth surface
    /// (radial deviation from the smoothed mesh's mean radius) and its volume is kept.
    @Test func decimationStaysOnTheSmoothSurface() throws {
        let (raw, _) = try Self.rawSphere(radius: 12)
        let smooth = try raw.smoothed(SmoothingOptions.slicer(factor: 0.5))
        let decimated = try smooth.decimated(DecimationOptions(targetReduction: 0.8))
        func radii(_ mesh: TriangleMesh) -> [Double] {
            mesh.positions.map { p -> Double in
                let d = SIMD3<Double>(p) - SIMD3(15.5, 15.5, 15.5)
                return (d * d).sum().squareRoot()
            }
        }
        let reference = radii(smooth)
        let radius = reference.reduce(0, +) / Double(reference.count)
        let deviations = radii(decimated).map { abs($0 - radius) }
        let mean = deviations.reduce(0, +) / Double(deviations.count)
        let referenceMean = reference.map { abs($0 - radius) }.reduce(0, +) / Double(reference.count)
        #expect(mean <= referenceMean + 0.05, "mean radial deviation \(mean) voxels, smoothed \(referenceMean)")
        #expect(deviations.max()! <= 0.25, "largest radial deviation \(deviations.max()!) voxels")
        #expect(abs(decimated.signedVolume / smooth.signedVolume - 1) < 1e-3)
    }

    @Test func decimationOptionsAreChecked() throws {
        let (raw, _) = try Self.rawSphere(radius: 4)
        #expect(throws: MeshingError.self) { try raw.decimated(DecimationOptions(targetReduction: -0.1)) }
        #expect(throws: MeshingError.self) { try raw.smoothed(SmoothingOptions(iterations: 0)) }
        #expect(throws: MeshingError.self) { try raw.smoothed(SmoothingOptions(passBand: 3)) }
    }

    @Test func volumeOffsetHitsTheTarget() throws {
        let (raw, _) = try Self.rawSphere()
        let target = raw.signedVolume * 1.03
        let grown = raw.offsetToVolume(target)
        #expect(abs(grown.signedVolume / target - 1) < 1e-3)
        #expect(MeshTopology(grown).isManifold)
    }
}
