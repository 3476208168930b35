// Design: NIfTI header ↔ VolumeGeometry, following ITK's NiftiImageIO (the reader behind SimpleITK and
// nnU-Net's SimpleITKIO) so that spacing, origin and direction equal SimpleITK's.
// - NIfTI's world is RAS; ours (ITK's) is LPS: x and y change sign on the way in and out.
// - qform: nifti_quatern_to_mat44 (nifti1_io.c): quaternion (b, c, d) with a = sqrt(1 - b² - c² - d²),
//   columns scaled by pixdim (non-positive pixdim → 1), third column times qfac.
// - Which transform wins: see `transformSource()` (ITK 5.4 itkNiftiImageIO.cxx SetImageIOOrientationFromNIfTI).
// - Spacing is pixdim[1...3] scaled by xyzt_units (as ITK, never the sform's column norms); direction is the
//   chosen matrix (qform entries rounded to Float as nifti1_io stores them) with columns normalised.
// Limits: zero/negative pixdim is refused (ITK maps 0 → 1 and flips negative axes); the sform/qform SVD
// comparison for codes other than 1 is approximated by comparing scales, rotations and offsets.
public import VolumeCore

extension NiftiHeader {
    /// The transform a reader takes the geometry from.
    public enum TransformSource: String, Sendable, Codable {
        case sform, qform
        /// Neither code is set (NIfTI "method 1"): spacing from pixdim, identity orientation in ITK's sense.
        case pixdimOnly
    }

    /// The qform as a 3×3 linear part and offset, in NIfTI's RAS world (nifti_quatern_to_mat44).
    public var qformAffine: (linear: Matrix3, offset: SIMD3<Double>) {
        var (b, c, d) = (quaternB, quaternC, quaternD)
        var a = 1.0 - (b * b + c * c + d * d)
        if a < 1e-7 {
            // Not a unit quaternion: normalise (b, c, d) and take a = 0, as nifti1_io.c does.
            a = 1.0 / (b * b + c * c + d * d).squareRoot()
            (b, c, d) = (b * a, c * a, d * a)
            a = 0
        } else {
            a = a.squareRoot()
        }
        let rotation = Matrix3(
            rows: SIMD3(a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)),
            SIMD3(2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)),
            SIMD3(2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b))
        let scale = SIMD3(
            pixdim[1] > 0 ? pixdim[1] : 1, pixdim[2] > 0 ? pixdim[2] : 1, (pixdim[3] > 0 ? pixdim[3] : 1) * qfac)
        return (rotation * .diagonal(scale), SIMD3(qoffsetX, qoffsetY, qoffsetZ))
    }

    /// The sform as a 3×3 linear part and offset, in NIfTI's RAS world.
    public var sformAffine: (linear: Matrix3, offset: SIMD3<Double>) {
        let linear = Matrix3(
            rows: SIMD3(srowX[0], srowX[1], srowX[2]), SIMD3(srowY[0], srowY[1], srowY[2]),
            SIMD3(srowZ[0], srowZ[1], srowZ[2]))
        return (linear, SIMD3(srowX[3], srowY[3], srowZ[3]))
    }

    /// Which transform ITK's NiftiImageIO (5.4, `SetImageIOOrientationFromNIfTI`) takes the geometry from.
    ///
    /// Both codes 0: pixdim only. Otherwise the sform when it is (nearly) the qform, or when it is a rotation
    /// with scaling (columns normalised, R·Rᵀ = I within 1e-4) and either the qform code is 0, the sform code is
    /// 1 (scanner), or it encodes the same transform as the qform; else the qform when its code is set.
    /// - Throws: `NiftiError.invalidHeader` for a sheared sform with no qform to fall back on (ITK refuses it too).
    public func transformSource() throws -> TransformSource {
        if qformCode <= 0 && sformCode <= 0 { return .pixdimOnly }
        let sform = sformCode > 0 ? sformAffine : nil
        let qform = qformCode > 0 ? qformFloatAffine : nil
        var preferSform = false
        if let sform, let qform {
            preferSform =
                sform.linear.maxAbsDifference(to: qform.linear) <= 1e-5
                && Self.oneNorm(sform.offset - qform.offset) <= 1e-7
        }
        if !preferSform, let sform, Self.isRotationWithScaling(sform.linear) {
            if let qform {
                preferSform = sformCode == 1 || Self.encodeSameTransform(sform, qform)
            } else {
                preferSform = true
            }
        }
        if preferSform { return .sform }
        if qform != nil { return .qform }
        throw NiftiError(
            .invalidHeader,
            "the sform \(sformAffine.linear.rowMajor) is sheared (not a rotation with scaling) and there is no qform")
    }

    /// The qform with every entry rounded to `Float`, as nifti1_io stores `qto_xyz`.
    var qformFloatAffine: (linear: Matrix3, offset: SIMD3<Double>) {
        let (linear, offset) = qformAffine
        let rounded = linear.rowMajor.map { Double(Float($0)) }
        return (Matrix3(rowMajor: rounded) ?? linear, SIMD3(offset.x.float, offset.y.float, offset.z.float))
    }

    /// Spacing (mm, from pixdim), origin and direction in LPS, as SimpleITK reports them.
    /// - Throws: `NiftiError.invalidSpacing` for a zero, negative or non-finite voxel size on an axis the image
    ///   has (ITK silently turns 0 into 1 and flips the axis of a negative one; we refuse both),
    ///   `.invalidHeader` for a transform that is singular, sheared without a qform, or not finite.
    public func geometry() throws -> VolumeGeometry {
        let unitScale = spatialUnitScale
        let spacing = try spatialSpacing() * unitScale
        let source = try transformSource()
        let (linear, offset): (Matrix3, SIMD3<Double>)
        switch source {
        case .sform: (linear, offset) = sformAffine
        case .qform: (linear, offset) = qformFloatAffine
        case .pixdimOnly: (linear, offset) = (.diagonal(SIMD3(-1, -1, 1)), .zero)  // ITK: identity LPS, origin 0
        }
        let rasToLps = SIMD3<Double>(-1, -1, 1)
        var columns = [SIMD3<Double>]()
        for axis in 0..<3 {
            let column = linear.column(axis) * rasToLps
            let norm = (column * column).sum().squareRoot()
            guard norm > 0, norm.isFinite else {
                throw NiftiError(
                    .invalidHeader, "\(source.rawValue) column \(axis) \(linear.column(axis)) is zero or not finite")
            }
            columns.append(column / norm)
        }
        do {
            return try VolumeGeometry(
                spacing: spacing, origin: offset * rasToLps * unitScale,
                direction: Matrix3(columns: columns[0], columns[1], columns[2]))
        } catch {
            throw NiftiError(.invalidHeader, "geometry from the \(source.rawValue) is invalid: \(error.message)")
        }
    }

    /// Millimetres per spatial unit of `xyzt_units` (metre, millimetre, micron; unknown counts as mm).
    var spatialUnitScale: Double {
        switch xyztUnits & 7 {
        case 1: 1e3
        case 3: 1e-3
        default: 1
        }
    }

    /// pixdim[1...3] for the spatial axes the image has; 1 for absent axes.
    func spatialSpacing() throws -> SIMD3<Double> {
        var spacing = SIMD3<Double>(1, 1, 1)
        for axis in 0..<min(3, max(1, rank)) {
            let value = pixdim[axis + 1]
            guard value > 0, value.isFinite else {
                throw NiftiError(
                    .invalidSpacing, "pixdim[\(axis + 1)] = \(value): voxel size must be positive and finite")
            }
            spacing[axis] = value
        }
        return spacing
    }

    /// ITK's `sformDecomposableWithoutSkew`: columns normalised in `Float`, then R·Rᵀ = I within 1e-4.
    private static func isRotationWithScaling(_ linear: Matrix3) -> Bool {
        guard linear.determinant != 0, linear.determinant.isFinite else { return false }
        let columns = (0..<3).map { linear.column($0) }
        var unit = [[Float]]()
        for column in columns {
            let values = [Float(column.x), Float(column.y), Float(column.z)]
            let norm = (values[0] * values[0] + values[1] * values[1] + values[2] * values[2]).squareRoot()
            unit.append(values.map { $0 / norm })
        }
        for row in 0..<3 {
            for other in 0..<3 {
                let dot = (0..<3).reduce(Float(0)) { $0 + unit[$1][row] * unit[$1][other] }
                if abs(dot - (row == other ? 1 : 0)) > 1e-4 { return false }
            }
        }
        return true
    }

    /// ITK's SVD comparison of sform and qform, for rotation-with-scaling matrices: same scales, same
    /// rotation and same offset, each within 1e-4.
    private static func encodeSameTransform(
        _ a: (linear: Matrix3, offset: SIMD3<Double>), _ b: (linear: Matrix3, offset: SIMD3<Double>)
    ) -> Bool {
        let normsA = (0..<3).map { (a.linear.column($0) * a.linear.column($0)).sum().squareRoot() }
        let normsB = (0..<3).map { (b.linear.column($0) * b.linear.column($0)).sum().squareRoot() }
        guard zip(normsA.sorted(), normsB.sorted()).allSatisfy({ abs($0 - $1) <= 1e-4 }) else { return false }
        for axis in 0..<3 {
            let delta = a.linear.column(axis) / normsA[axis] - b.linear.column(axis) / normsB[axis]
            if delta.x.magnitude > 1e-4 || delta.y.magnitude > 1e-4 || delta.z.magnitude > 1e-4 { return false }
        }
        let offsetDelta = a.offset - b.offset
        return offsetDelta.x.magnitude <= 1e-4 && offsetDelta.y.magnitude <= 1e-4 && offsetDelta.z.magnitude <= 1e-4
    }

    private static func oneNorm(_ vector: SIMD3<Double>) -> Double {
        vector.x.magnitude + vector.y.magnitude + vector.z.magnitude
    }

    /// Sets pixdim, qform and sform (both code 1, scanner) from a geometry, as ITK's writer does.
    public mutating func setTransforms(from geometry: VolumeGeometry) {
        let lpsToRas = SIMD3<Double>(-1, -1, 1)
        let linearRAS = Matrix3(
            columns: geometry.direction.column(0) * lpsToRas * geometry.spacing.x,
            geometry.direction.column(1) * lpsToRas * geometry.spacing.y,
            geometry.direction.column(2) * lpsToRas * geometry.spacing.z)
        let originRAS = geometry.origin * lpsToRas
        qformCode = 1
        sformCode = 1
        let quaternion = Self.quaternion(
            fromDirection: Matrix3(
                columns: geometry.direction.column(0) * lpsToRas, geometry.direction.column(1) * lpsToRas,
                geometry.direction.column(2) * lpsToRas))
        (quaternB, quaternC, quaternD) = (quaternion.b, quaternion.c, quaternion.d)
        pixdim[0] = quaternion.qfac
        pixdim[1] = geometry.spacing.x
        pixdim[2] = geometry.spacing.y
        pixdim[3] = geometry.spacing.z
        (qoffsetX, qoffsetY, qoffsetZ) = (originRAS.x, originRAS.y, originRAS.z)
        srowX = [linearRAS.row0.x, linearRAS.row0.y, linearRAS.row0.z, originRAS.x]
        srowY = [linearRAS.row1.x, linearRAS.row1.y, linearRAS.row1.z, originRAS.y]
        srowZ = [linearRAS.row2.x, linearRAS.row2.y, linearRAS.row2.z, originRAS.z]
    }

    /// Quaternion (b, c, d) and qfac of an orthonormal direction matrix (nifti_mat44_to_quatern).
    static func quaternion(fromDirection m: Matrix3) -> (b: Double, c: Double, d: Double, qfac: Double) {
        var r = m
        var qfac = 1.0
        if r.determinant < 0 {
            qfac = -1
            r = Matrix3(columns: r.column(0), r.column(1), -r.column(2))
        }
        let (r11, r12, r13) = (r.row0.x, r.row0.y, r.row0.z)
        let (r21, r22, r23) = (r.row1.x, r.row1.y, r.row1.z)
        let (r31, r32, r33) = (r.row2.x, r.row2.y, r.row2.z)
        var a = r11 + r22 + r33 + 1
        var (b, c, d): (Double, Double, Double)
        if a > 0.5 {
            a = 0.5 * a.squareRoot()
            (b, c, d) = (0.25 * (r32 - r23) / a, 0.25 * (r13 - r31) / a, 0.25 * (r21 - r12) / a)
        } else {
            let xd = 1 + r11 - (r22 + r33)
            let yd = 1 + r22 - (r11 + r33)
            let zd = 1 + r33 - (r11 + r22)
            if xd > 1 {
                b = 0.5 * xd.squareRoot()
                (c, d, a) = (0.25 * (r12 + r21) / b, 0.25 * (r13 + r31) / b, 0.25 * (r32 - r23) / b)
            } else if yd > 1 {
                c = 0.5 * yd.squareRoot()
                (b, d, a) = (0.25 * (r12 + r21) / c, 0.25 * (r23 + r32) / c, 0.25 * (r13 - r31) / c)
            } else {
                d = 0.5 * zd.squareRoot()
                (b, c, a) = (0.25 * (r13 + r31) / d, 0.25 * (r23 + r32) / d, 0.25 * (r21 - r12) / d)
            }
            if a < 0 { (b, c, d) = (-b, -c, -d) }
        }
        return (b, c, d, qfac)
    }
}

extension Double {
    /// The value rounded to `Float` precision.
    fileprivate var float: Double { Double(Float(self)) }
}
