public import VolumeCore

/// The world frame a mesh is written in: LPS (ITK, DICOM, Organa's volumes; the default) or RAS (NIfTI,
/// Slicer's internal frame, many web viewers). RAS is LPS with x and y negated.
public enum WorldFrame: String, Sendable, CaseIterable, Codable {
    case lps = "LPS"
    case ras = "RAS"
}

extension TriangleMesh {
    /// The mesh moved from voxel-index space to world millimetres by `geometry`
    /// (`world = origin + direction · diag(spacing) · index`), in `frame`.
    ///
    /// When the index → world matrix mirrors (negative determinant, e.g. an LAS NIfTI), every triangle's
    /// winding is reversed so that normals still point outward; VTK's transform filters do not do this.
    /// Normals, if present, are recomputed in the world frame.
    public func transformedToWorld(_ geometry: VolumeGeometry, frame: WorldFrame = .lps) -> TriangleMesh {
        var matrix = geometry.indexToWorldMatrix
        var origin = geometry.origin
        if frame == .ras {
            matrix.row0 = -matrix.row0
            matrix.row1 = -matrix.row1
            origin.x = -origin.x
            origin.y = -origin.y
        }
        let r0 = matrix.row0
        let r1 = matrix.row1
        let r2 = matrix.row2
        let moved = positions.map { p -> SIMD3<Float> in
            let q = SIMD3<Double>(p)
            return SIMD3<Float>(
                SIMD3((r0 * q).sum() + origin.x, (r1 * q).sum() + origin.y, (r2 * q).sum() + origin.z))
        }
        let mirrored = matrix.determinant < 0
        var result = TriangleMesh(
            positions: moved, triangles: mirrored ? triangles.map { SIMD3($0.x, $0.z, $0.y) } : triangles)
        if !normals.isEmpty { result.normals = result.vertexNormals() }
        return result
    }

    /// Area-weighted unit vertex normals (the sum of the adjacent triangles' cross products, normalised);
    /// no feature-edge splitting. A vertex used by no triangle gets (0, 0, 0).
    public func vertexNormals() -> [SIMD3<Float>] {
        var sums = [SIMD3<Double>](repeating: .zero, count: positions.count)
        for t in triangles {
            let a = SIMD3<Double>(positions[Int(t.x)])
            let n = crossProduct(SIMD3<Double>(positions[Int(t.y)]) - a, SIMD3<Double>(positions[Int(t.z)]) - a)
            sums[Int(t.x)] += n
            sums[Int(t.y)] += n
            sums[Int(t.z)] += n
        }
        return sums.map { s in
            let length = (s * s).sum().squareRoot()
            return length > 0 ? SIMD3<Float>(s / length) : .zero
        }
    }

    /// The mesh with `normals` filled by `vertexNormals()`.
    public func withVertexNormals() -> TriangleMesh {
        var copy = self
        copy.normals = vertexNormals()
        return copy
    }
}
