/// A 3×3 matrix of `Double`, stored by rows.
///
/// As a direction matrix (ITK/SimpleITK convention) its *columns* are the world directions of the voxel axes
/// i, j, k, and its row-major flattening is SimpleITK's `GetDirection()` tuple.
public struct Matrix3: Sendable, Hashable, Codable {
    public var row0: SIMD3<Double>
    public var row1: SIMD3<Double>
    public var row2: SIMD3<Double>

    public init(rows row0: SIMD3<Double>, _ row1: SIMD3<Double>, _ row2: SIMD3<Double>) {
        self.row0 = row0
        self.row1 = row1
        self.row2 = row2
    }

    /// Builds a matrix from nine values in row-major order (SimpleITK's direction tuple).
    public init?(rowMajor values: [Double]) {
        guard values.count == 9 else { return nil }
        self.init(
            rows: SIMD3(values[0], values[1], values[2]), SIMD3(values[3], values[4], values[5]),
            SIMD3(values[6], values[7], values[8]))
    }

    /// Builds a matrix from its three columns.
    public init(columns c0: SIMD3<Double>, _ c1: SIMD3<Double>, _ c2: SIMD3<Double>) {
        self.init(rows: SIMD3(c0.x, c1.x, c2.x), SIMD3(c0.y, c1.y, c2.y), SIMD3(c0.z, c1.z, c2.z))
    }

    public static let identity = Matrix3(rows: SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1))

    /// The matrix with each entry of `diagonal` on the diagonal.
    public static func diagonal(_ diagonal: SIMD3<Double>) -> Matrix3 {
        Matrix3(rows: SIMD3(diagonal.x, 0, 0), SIMD3(0, diagonal.y, 0), SIMD3(0, 0, diagonal.z))
    }

    /// Row-major values (SimpleITK's direction tuple order).
    public var rowMajor: [Double] {
        [row0.x, row0.y, row0.z, row1.x, row1.y, row1.z, row2.x, row2.y, row2.z]
    }

    /// Column `index` (0, 1 or 2).
    public func column(_ index: Int) -> SIMD3<Double> { SIMD3(row0[index], row1[index], row2[index]) }

    public var transposed: Matrix3 { Matrix3(columns: row0, row1, row2) }

    public var determinant: Double {
        let cofactor0 = row1.y * row2.z - row1.z * row2.y
        let cofactor1 = row1.z * row2.x - row1.x * row2.z
        let cofactor2 = row1.x * row2.y - row1.y * row2.x
        return row0.x * cofactor0 + row0.y * cofactor1 + row0.z * cofactor2
    }

    /// The inverse, or `nil` when the matrix is singular or not finite.
    public var inverse: Matrix3? {
        let det = determinant
        guard det.isFinite, det != 0 else { return nil }
        let c0 = cross(row1, row2)
        let c1 = cross(row2, row0)
        let c2 = cross(row0, row1)
        // Rows of the inverse are the columns of the adjugate.
        return Matrix3(columns: c0 / det, c1 / det, c2 / det)
    }

    public static func * (matrix: Matrix3, vector: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(
            (matrix.row0 * vector).sum(), (matrix.row1 * vector).sum(), (matrix.row2 * vector).sum())
    }

    public static func * (lhs: Matrix3, rhs: Matrix3) -> Matrix3 {
        Matrix3(columns: lhs * rhs.column(0), lhs * rhs.column(1), lhs * rhs.column(2))
    }

    /// Largest absolute difference between corresponding entries.
    public func maxAbsDifference(to other: Matrix3) -> Double {
        zip(rowMajor, other.rowMajor).map { abs($0 - $1) }.max() ?? 0
    }
}

/// Cross product of two 3-vectors.
public func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
